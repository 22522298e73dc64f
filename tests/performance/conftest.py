from survey.conftest import loaded  # noqa: F401  (the shipped consultations, demo open)
