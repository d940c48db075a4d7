"""The classroom: a whole class graded, its gradebook, reports, summary and LMS exports.

grade_all       the `grade-all` command: find the students, grade each, keep the results
options         its command line, turned once into the run (settings and the graders' Context)
outputs         what a run or a merge leaves: gradebook, summary, exports, reports
settings        the class-grading options (roster, due time, exports) resolved once
grader_process  one submission graded in a process of its own
gradebook       per-student results on disk and the gradebook CSV
late            late penalties from the course's policy
platforms       the learning platforms (one module each: Canvas, Moodle): downloads read,
                grades and feedback exported; the roster
from_git        submissions cloned from students' repositories
merge           shards of a class merged into one gradebook
provenance      which grader and options produced a stored result
report_html     a student's report.html; summary: the class's summary.html
"""
