"""The RQ scheduler's configuration: ``rq cron app/cron.py`` enqueues each task of ``app.jobs.SCHEDULE``.

Run exactly one scheduler (it only enqueues; ``rq worker forecourt-scheduled`` runs the tasks). The
scheduler registers in Redis, so ``rq info`` shows whether it is alive.
"""

from rq import cron

from app.jobs import QUEUE_NAME, SCHEDULE

for task in SCHEDULE:
    cron.register(task.func, QUEUE_NAME, interval=task.interval, name=task.func.__name__, job_timeout=max(60, task.interval))
