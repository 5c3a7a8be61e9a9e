"""The tests' one support package: helpers imported normally, never fixtures.

tests/ is on sys.path (the rootdir conftest.py puts it there, whatever the
import mode; the fixtures that start inner runs and players put it on
PYTHONPATH), so every test module, conftest and player double can write
`from mp_support.recordings import Rec`.

- recordings: the one builder of synthetic recordings (standard library only,
  so the player doubles in tests/doubles use it too);
- env: the environment an inner run or a `pyglet-mp` process must not inherit,
  derived from pytest_pyglet_media.options.OPTIONS, and clear_inner_env();
- cli_result: CliResult, what one `pyglet-mp` command gave (in-process or not);
- sessions: sessions built from synthetic recordings (Store), index.html parsing;
- bundles: hand-crafted bundle tarballs;
- corpus: manifests for the corpus builder tests;
- inner_runs: an inner pytest run started in its own process group, waited
  on, interrupted with Ctrl-C (the tests that interrupt or kill a run);
- browser: headless Chromium driven through the DevTools pipe;
- bokeh_doc: the bokeh document a timeline page embeds, read as JSON.

Fixtures stay in the conftest.py files (a conftest is never imported).
This __init__ imports nothing, so a double importing mp_support.recordings
stays light.
"""
