"""The worker process (`python -m kjupyter.worker`): runs tasks sent by a kernel.

Imports stay light (no pandas, kubernetes or IPython) so a worker starts in a fraction of a
second; user code imports what it needs.
"""
