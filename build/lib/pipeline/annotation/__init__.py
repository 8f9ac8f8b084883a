"""The doccano annotation loop: push/pull (annotate), the doccano-client bridge in its own venv (doccano_bridge), retraining from pulled annotations (retrain)."""
