"""Plotly figures shared by the reports and the web app, one module per workflow.

:mod:`~gridshare.report.figures.common` holds the house style (template, tariff and member colours,
axis titles with units) and the chart helpers every other module builds on;
:mod:`~gridshare.report.figures.benchmark` draws the tariff benchmark. Import the module you need,
e.g. ``from gridshare.report.figures import benchmark``; nothing heavy is imported here.
"""
