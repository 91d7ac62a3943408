"""The report's sections, one module each, listed in order in kmbench_report.SECTIONS.

A section module holds both the section's data extraction (from kmb_results' Cells and the
file's context) and its HTML, and offers:

    ANCHOR        the id of its <h2> (the links at the top of the page point there)
    TITLE         its name in those links
    render(run)   its HTML, or "" where the results file has nothing for it; run is a
                  kmb_results.Run (the parsed file, its context, cells, backends in order, the
                  counters' context and the Summary's findings)
    parts(run)    optional: its HTML in parts, functions of no arguments whose results joined
                  with newlines are render(run); kmbench_report draws the parts of every
                  section on several processes (its --jobs), so a section of many figures
                  offers one part per figure or few
    COST          optional: render()'s drawing time, where it is more than the default 1 (a
                  part of one figure, about a second on the full preset's results); a part
                  may carry its own (kmb_results.weigh()). kmbench_report's workers take the
                  dearest first

summary.py, the Summary, comes before the links and offers render(run) alone. A section imports
only the common modules (kmb_results: cells, medians, names and formatting; kmb_html: HTML
helpers; kmb_summary: the findings; kmb_experiments: the experiment files) and kmb_plots, never
another section.
"""
