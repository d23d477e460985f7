import { isIP } from 'node:net';
import express, { type RequestHandler, type Router } from 'express';
import { methodNotAllowed } from '../../shared/error-handler.js';
import { HttpError } from '../../shared/http-error.js';
import { utf8Only } from '../../shared/utf8-only.js';
import { plainAddress } from '../workers/host-allow-list.js';
import { parseRegistration, requireToken } from '../workers/registration.js';
import type { Registry } from '../workers/registry.js';
import { describeServer } from './server-view.js';

export interface ControlDeps {
  registry: Registry;
  registrationToken: string | undefined;
  /** Whether a host may register (ALLOWED_SERVER_HOSTS), by the address in the body. */
  allowHost: (hostname: string) => boolean;
  /** Whether a request may come from this address at all (ALLOWED_SERVER_HOSTS, resolved). */
  allowCaller: (address: string) => Promise<boolean>;
}

/** Registration bodies are two short strings; anything bigger is not one. */
const BODY_LIMIT = '2kb';

/**
 * The workers' side of the balancer: `/server_up` and `/server_down` (caller, token and host checked),
 * and the registry and liveness for people and scripts: `/servers`, `/health_check`.
 */
export function controlRoutes({ registry, registrationToken, allowHost, allowCaller }: ControlDeps): Router {
  const router = express.Router();
  // Not strict: a body of null, a string or a number is JSON, and parseRegistration answers it
  // invalid_registration ("not an object", docs/api.md), not invalid_json.
  const json = express.json({ limit: BODY_LIMIT, strict: false });
  const token = requireToken(registrationToken);
  // Who sent the request, before anything it says is read: a body can name any address.
  const caller: RequestHandler = async (req, _res, next) => {
    if (!(await allowCaller(req.socket.remoteAddress ?? ''))) {
      throw new HttpError(403, 'forbidden_caller', 'requests from this address may not register or drain servers (ALLOWED_SERVER_HOSTS)');
    }
    next();
  };
  const auth = [caller, token];
  const parseAllowed = (body: unknown, caller: string) => {
    const registration = parseRegistration(body);
    // A worker that passed the caller check may always name itself by its own address: a
    // scaled replica advertises its container's address, which no setting can list ahead.
    if (!allowHost(registration.hostname) && !sameHost(registration.hostname, caller)) {
      throw new HttpError(403, 'forbidden_host', 'this host is not allowed to register as a server');
    }
    return registration;
  };

  router
    .route('/server_up')
    .post(...auth, utf8Only, json, (req, res) => {
      const { address, name, capacity } = parseAllowed(req.body, req.socket.remoteAddress ?? '');
      res.json({ server: describeServer(registry.register(address, name, capacity)) });
    })
    .all(methodNotAllowed(['POST']));

  router
    .route('/server_down')
    .post(...auth, utf8Only, json, (req, res) => {
      const { address, name } = parseAllowed(req.body, req.socket.remoteAddress ?? '');
      // A name the body gives says which worker leaves; with none, whoever is at the address drains.
      const named = (req.body as Record<string, unknown>).name !== undefined;
      res.json({ server: describeServer(registry.drain(address, named ? name : undefined)) });
    })
    .all(methodNotAllowed(['POST']));

  router
    .route('/servers')
    .get((_req, res) => {
      res.json({ servers: registry.servers.map(describeServer) });
    })
    .all(methodNotAllowed(['GET']));

  router
    .route('/health_check')
    .get((_req, res) => {
      res.json({ status: 'ok', active_servers: registry.countActive(), servers: registry.servers.length });
    })
    .all(methodNotAllowed(['GET']));

  return router;
}

/** Whether a registration's host is the IP address the request came from. */
function sameHost(hostname: string, remote: string): boolean {
  return isIP(hostname) !== 0 && hostname.toLowerCase() === plainAddress(remote);
}
