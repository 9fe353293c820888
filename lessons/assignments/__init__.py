"""Classroom assignments: a student file with stubs, and a pytest file that grades it."""
