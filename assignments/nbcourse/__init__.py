"""Tools of the nbgrader course: build the notebooks, redact feedback, audit submissions."""
