"""The FAQ's topics (with their French button titles) and how the assistant clarifies
between them when unsure.  Pure: shared by the NLU components (inside Rasa), the actions
and the tests; imports nothing else of the project."""
