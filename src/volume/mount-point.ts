/**
 * A container's mount as berth keeps it in the container record: docker's MountPoint
 * (the fields inspect shows) plus what starting the container needs.
 */
export type MountType = 'bind' | 'volume' | 'tmpfs';

export interface MountPoint {
  Type: MountType;
  /** The volume's name (volumes only). */
  Name?: string;
  /** Host path of a bind or of a volume's data; '' for tmpfs. */
  Source: string;
  Destination: string;
  /** The volume driver (volumes only). */
  Driver?: string;
  /** The mode as the user wrote it after the second colon of a -v spec (docker shows it as is). */
  Mode: string;
  RW: boolean;
  Propagation: string;
  /** Volumes: copy the image's content at the destination into the volume while it is empty. */
  CopyData?: boolean;
  /** Volumes made for this container alone (`-v /path`, image VOLUME): removed with `rm -v`. */
  Anonymous?: boolean;
  /** Binds from -v: a missing host path is created as a directory at start, as docker does. */
  CreateSource?: boolean;
  /** tmpfs: the mount options given by the user (size=, mode=, ...). */
  TmpfsOptions?: string[];
}

/** A mount point as docker's inspect and container list show it. */
export function mountView(mount: MountPoint): object {
  return {
    Type: mount.Type,
    ...(mount.Name === undefined ? {} : { Name: mount.Name }),
    Source: mount.Source,
    Destination: mount.Destination,
    ...(mount.Driver === undefined ? {} : { Driver: mount.Driver }),
    Mode: mount.Mode,
    RW: mount.RW,
    Propagation: mount.Propagation,
  };
}
