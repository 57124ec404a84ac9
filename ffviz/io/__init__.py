"""Files in and out: CSV data, network and weight files, sessions; every problem is one FfvizError line."""
