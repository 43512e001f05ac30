"""The rules of training courses, in plain Python: watched time, completion, quizzes, codes."""
