// Where the Docker Engine API is: DOCKER_HOST as the docker CLI reads it (unix:///path or tcp://host:port),
// or the default socket /var/run/docker.sock.

export type DockerEndpoint =
  | { kind: 'unix'; socketPath: string; description: string }
  | { kind: 'tcp'; origin: string; description: string };

export const DEFAULT_SOCKET = '/var/run/docker.sock';

export function dockerEndpoint(value = process.env.DOCKER_HOST, env = process.env): DockerEndpoint {
  const text = (value ?? '').trim();
  if (text === '')
    return { kind: 'unix', socketPath: DEFAULT_SOCKET, description: `unix://${DEFAULT_SOCKET}` };
  if (text.startsWith('unix://')) {
    const socketPath = text.slice('unix://'.length);
    if (!socketPath.startsWith('/')) throw new Error(`DOCKER_HOST ${text}: expected unix:///absolute/path`);
    return { kind: 'unix', socketPath, description: text };
  }
  if (text.startsWith('tcp://') || text.startsWith('http://')) {
    if (env.DOCKER_TLS_VERIFY && env.DOCKER_TLS_VERIFY !== '0') {
      throw new Error(
        'DOCKER_TLS_VERIFY is set: a TLS-protected Docker API is not supported; use the unix socket or a plain tcp:// endpoint on a trusted network',
      );
    }
    const url = new URL(text.replace(/^tcp:/, 'http:'));
    if (!url.port) url.port = '2375';
    return { kind: 'tcp', origin: url.origin, description: text };
  }
  throw new Error(`DOCKER_HOST ${text}: expected unix:///path/to/docker.sock or tcp://host:port`);
}
