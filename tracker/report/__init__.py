"""The daily report (sections, rendering) and its chart."""
