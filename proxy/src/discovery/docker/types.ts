// The parts of the Docker Engine API's answers that discovery reads. Podman's compatible API fills
// fewer fields in lists (no network mode, no networks for host-network containers), which is why every
// matched container is also inspected.

export interface ListedContainer {
  Id: string;
  Names?: string[];
  Labels?: Record<string, string> | null;
  State?: string;
  Status?: string;
}

export interface InspectedContainer {
  Id: string;
  Name?: string;
  Config?: { Labels?: Record<string, string> | null; ExposedPorts?: Record<string, unknown> | null } | null;
  State?: {
    Running?: boolean;
    Paused?: boolean;
    Restarting?: boolean;
    StartedAt?: string;
    Health?: { Status?: string } | null;
  } | null;
  HostConfig?: { NetworkMode?: string } | null;
  NetworkSettings?: {
    Networks?: Record<string, { IPAddress?: string; NetworkID?: string } | null> | null;
    Ports?: Record<string, { HostIp?: string; HostPort?: string }[] | null> | null;
  } | null;
}

export interface DockerEvent {
  Type?: string;
  Action?: string;
  status?: string;
  id?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
}
