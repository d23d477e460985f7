import express, { type Router } from 'express';
import { methodNotAllowed } from '../../shared/error-handler.js';
import { HttpError } from '../../shared/http-error.js';
import { utf8Only } from '../../shared/utf8-only.js';
import type { JobManager } from '../jobs/job-manager.js';
import { parseJobRequest, unknownJob } from '../jobs/job-request.js';
import { createJobView } from '../jobs/job-view.js';
import type { JobRecord } from '../jobs/journal-types.js';

/** The longest `?wait=` a client may ask for, in seconds. */
const MAX_WAIT_SECONDS = 60;

/** `POST /jobs`, `GET /jobs`, `GET /jobs/:id` (with `?wait=S`), `DELETE /jobs/:id`. */
export function jobRoutes(jobs: JobManager): Router {
  const router = express.Router();
  const describeJob = createJobView();
  const view = (record: JobRecord) => describeJob(record, jobs.progressOf(record.id));

  router
    .route('/jobs')
    .post(utf8Only, express.json({ limit: '2kb', strict: false }), async (req, res) => {
      const record = await jobs.create(parseJobRequest(req.body));
      res.status(202).location(`/jobs/${record.id}`).json({ job: view(record) });
    })
    .get((_req, res) => {
      res.json({ jobs: jobs.list().map(view) });
    })
    .all(methodNotAllowed(['GET', 'POST']));

  router
    .route('/jobs/:id')
    .get(async (req, res) => {
      const id = req.params.id;
      if (!jobs.get(id)) throw unknownJob(id);
      const wait = waitSeconds(req.query.wait);
      if (wait > 0) {
        const hangUp = new AbortController();
        res.once('close', () => hangUp.abort());
        await jobs.waitForEnd(id, wait * 1000, hangUp.signal);
        if (hangUp.signal.aborted) return;
      }
      const record = jobs.get(id);
      if (!record) throw unknownJob(id);
      res.json({ job: view(record) });
    })
    .delete(async (req, res) => {
      res.json({ job: view(await jobs.cancel(req.params.id)) });
    })
    .all(methodNotAllowed(['GET', 'DELETE']));

  return router;
}

function waitSeconds(value: unknown): number {
  if (value === undefined) return 0;
  const seconds = typeof value === 'string' && /^\d+(\.\d+)?$/.test(value) ? Number(value) : Number.NaN;
  if (!(seconds >= 0 && seconds <= MAX_WAIT_SECONDS)) {
    throw new HttpError(400, 'invalid_wait', `"wait" must be a number of seconds from 0 to ${MAX_WAIT_SECONDS}`);
  }
  return seconds;
}
