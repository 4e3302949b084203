// Starting and stopping the processes a proxy benchmark compares (nginx, Node peers, the proxy), and
// nginx's config: shared by bench/run.ts and bench/ceiling.ts.
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort } from '@sre-stack/runtime/testing';
import { findTool, startService } from '@sre-stack/runtime/testing/bench';

/** nginx is in /usr/sbin on Debian, where a user's PATH may not look. */
export const NGINX = existsSync('/usr/sbin/nginx')
  ? '/usr/sbin/nginx'
  : findTool('nginx', 'apt-get install -y wrk nginx-light');

/** Starts a process and waits until its port answers 200 at `/`. */
export async function start(
  command: string,
  args: string[],
  port: number,
  env: NodeJS.ProcessEnv = {},
): Promise<ChildProcess> {
  return (await startService(args, `http://127.0.0.1:${port}/`, env, command)).child;
}

export { stopService as stop } from '@sre-stack/runtime/testing/bench';

export function nginxConfig(
  directory: string,
  name: string,
  workers: string,
  server: string,
  upstream?: string,
): string {
  return `worker_processes ${workers};
daemon off;
pid ${directory}/${name}.pid;
error_log ${directory}/${name}.error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${directory}/${name}-body;
  proxy_temp_path ${directory}/${name}-proxy;
  fastcgi_temp_path ${directory}/${name}-fastcgi;
  uwsgi_temp_path ${directory}/${name}-uwsgi;
  scgi_temp_path ${directory}/${name}-scgi;
  keepalive_requests 1000000;
  ${upstream ? `upstream backend { server ${upstream}; keepalive 128; }` : ''}
  server { ${server} }
}
`;
}

/** The upstream every peer forwards to: nginx answering `return 200 'ok'`, one worker, on loopback. */
export async function startUpstream(
  directory: string,
): Promise<{ port: number; address: string; child: ChildProcess }> {
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  await writeFile(
    join(directory, 'upstream.conf'),
    nginxConfig(directory, 'upstream', '1', `listen ${address}; location / { return 200 'ok'; }`),
  );
  const child = await start(NGINX, ['-c', join(directory, 'upstream.conf'), '-p', directory], port);
  return { port, address, child };
}
