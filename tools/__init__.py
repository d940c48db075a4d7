"""Course tooling: generate the exercises, run the visible checks, build the student edition."""
