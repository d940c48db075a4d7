"""Grading: plan the checks of a submission, run their jobs in the sandbox, judge, score.

grade        the plan, the run and the score; the `grade` command's work
checks       what a check is and how one is judged (shared by every family)
families/    one module per check family: the jobs a unit needs and how they are judged
reference    the reference solution, loaded on the trusted side only
report       the terminal table and Gradescope's results.json
submissions  a submission path, folder or zip, laid out safely for grading
catalog      the hidden tests' names, without running anything

Grading imports nothing from the classroom.
"""
