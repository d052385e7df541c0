"""The steward workspace: where a department's data steward signs in, sees their datasets'
scores and deadlines, uploads and checks a file with the pipeline's own rules, submits it
into the landing folder, and works through their quarantined rows."""
