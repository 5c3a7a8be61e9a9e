"""Verdicts: the defect rules, the checks against the file, results, baselines and comparisons."""
