"""gldash: publish GitLab CI/CD dashboards of a whole organisation as a static site."""

__version__ = "0.1.0"
