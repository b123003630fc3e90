/**
 * Every berth command: its name, one-line summary and the module that defines it, so main.ts can
 * list them all for --help while loading only the one being run.
 */

export interface CommandEntry {
  name: string;
  summary: string;
  /** Module under ./commands/, without extension. */
  module: string;
  aliases?: string[];
  /** Settings the module reads, e.g. inspect limited to one object type. */
  preset?: Record<string, string>;
}

export const TOP_LEVEL: CommandEntry[] = [
  { name: 'run', summary: 'Create and run a new container from an image', module: 'run' },
  { name: 'exec', summary: 'Execute a command in a running container', module: 'exec' },
  { name: 'ps', summary: 'List containers', module: 'ps' },
  { name: 'pull', summary: 'Download an image from a registry', module: 'pull' },
  { name: 'push', summary: 'Upload an image to a registry', module: 'push' },
  { name: 'images', summary: 'List images', module: 'images' },
  { name: 'login', summary: 'Authenticate to a registry', module: 'login' },
  { name: 'logout', summary: 'Log out from a registry', module: 'logout' },
  { name: 'search', summary: 'Search Docker Hub for images', module: 'search' },
  { name: 'version', summary: 'Show the berth version information', module: 'version' },
  { name: 'info', summary: 'Display system-wide information', module: 'info' },
  { name: 'attach', summary: "Attach local standard input, output, and error streams to a running container", module: 'attach' },
  { name: 'cp', summary: 'Copy files/folders between a container and the local filesystem', module: 'cp' },
  { name: 'create', summary: 'Create a new container', module: 'create' },
  { name: 'diff', summary: "Inspect changes to files or directories on a container's filesystem", module: 'diff' },
  { name: 'events', summary: 'Get real time events from the server', module: 'events' },
  { name: 'export', summary: "Export a container's filesystem as a tar archive", module: 'export' },
  { name: 'history', summary: 'Show the history of an image', module: 'history' },
  { name: 'import', summary: 'Import the contents from a tarball to create a filesystem image', module: 'import' },
  { name: 'inspect', summary: 'Return low-level information on berth objects', module: 'inspect' },
  { name: 'kill', summary: 'Kill one or more running containers', module: 'kill' },
  { name: 'load', summary: 'Load an image from a tar archive or STDIN', module: 'load' },
  { name: 'logs', summary: 'Fetch the logs of a container', module: 'logs' },
  { name: 'pause', summary: 'Pause all processes within one or more containers', module: 'pause' },
  { name: 'rename', summary: 'Rename a container', module: 'rename' },
  { name: 'restart', summary: 'Restart one or more containers', module: 'restart' },
  { name: 'rm', summary: 'Remove one or more containers', module: 'rm' },
  { name: 'rmi', summary: 'Remove one or more images', module: 'rmi' },
  { name: 'save', summary: 'Save one or more images to a tar archive (streamed to STDOUT by default)', module: 'save' },
  { name: 'start', summary: 'Start one or more stopped containers', module: 'start' },
  { name: 'stats', summary: "Display a live stream of container(s) resource usage statistics", module: 'stats' },
  { name: 'stop', summary: 'Stop one or more running containers', module: 'stop' },
  { name: 'tag', summary: 'Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE', module: 'tag' },
  { name: 'top', summary: 'Display the running processes of a container', module: 'top' },
  { name: 'unpause', summary: 'Unpause all processes within one or more containers', module: 'unpause' },
  { name: 'update', summary: 'Update configuration of one or more containers', module: 'update' },
  { name: 'wait', summary: 'Block until one or more containers stop, then print their exit codes', module: 'wait' },
];

export const MANAGEMENT: Record<string, { summary: string; commands: CommandEntry[] }> = {
  container: {
    summary: 'Manage containers',
    commands: [
      { name: 'attach', summary: 'Attach local standard input, output, and error streams to a running container', module: 'attach' },
      { name: 'cp', summary: 'Copy files/folders between a container and the local filesystem', module: 'cp' },
      { name: 'create', summary: 'Create a new container', module: 'create' },
      { name: 'diff', summary: "Inspect changes to files or directories on a container's filesystem", module: 'diff' },
      { name: 'exec', summary: 'Execute a command in a running container', module: 'exec' },
      { name: 'export', summary: "Export a container's filesystem as a tar archive", module: 'export' },
      { name: 'inspect', summary: 'Display detailed information on one or more containers', module: 'inspect', preset: { type: 'container' } },
      { name: 'kill', summary: 'Kill one or more running containers', module: 'kill' },
      { name: 'logs', summary: 'Fetch the logs of a container', module: 'logs' },
      { name: 'ls', summary: 'List containers', module: 'ps', aliases: ['list', 'ps'] },
      { name: 'pause', summary: 'Pause all processes within one or more containers', module: 'pause' },
      { name: 'prune', summary: 'Remove all stopped containers', module: 'container-prune' },
      { name: 'rename', summary: 'Rename a container', module: 'rename' },
      { name: 'restart', summary: 'Restart one or more containers', module: 'restart' },
      { name: 'rm', summary: 'Remove one or more containers', module: 'rm', aliases: ['remove'] },
      { name: 'run', summary: 'Create and run a new container from an image', module: 'run' },
      { name: 'start', summary: 'Start one or more stopped containers', module: 'start' },
      { name: 'stats', summary: "Display a live stream of container(s) resource usage statistics", module: 'stats' },
      { name: 'stop', summary: 'Stop one or more running containers', module: 'stop' },
      { name: 'top', summary: 'Display the running processes of a container', module: 'top' },
      { name: 'unpause', summary: 'Unpause all processes within one or more containers', module: 'unpause' },
      { name: 'update', summary: 'Update configuration of one or more containers', module: 'update' },
      { name: 'wait', summary: 'Block until one or more containers stop, then print their exit codes', module: 'wait' },
    ],
  },
  image: {
    summary: 'Manage images',
    commands: [
      { name: 'history', summary: 'Show the history of an image', module: 'history' },
      { name: 'import', summary: 'Import the contents from a tarball to create a filesystem image', module: 'import' },
      { name: 'inspect', summary: 'Display detailed information on one or more images', module: 'inspect', preset: { type: 'image' } },
      { name: 'load', summary: 'Load an image from a tar archive or STDIN', module: 'load' },
      { name: 'ls', summary: 'List images', module: 'images', aliases: ['list'] },
      { name: 'prune', summary: 'Remove unused images', module: 'image-prune' },
      { name: 'pull', summary: 'Download an image from a registry', module: 'pull' },
      { name: 'push', summary: 'Upload an image to a registry', module: 'push' },
      { name: 'rm', summary: 'Remove one or more images', module: 'rmi', aliases: ['remove'] },
      { name: 'save', summary: 'Save one or more images to a tar archive (streamed to STDOUT by default)', module: 'save' },
      { name: 'tag', summary: 'Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE', module: 'tag' },
    ],
  },
  volume: {
    summary: 'Manage volumes',
    commands: [
      { name: 'create', summary: 'Create a volume', module: 'volume-create' },
      { name: 'inspect', summary: 'Display detailed information on one or more volumes', module: 'inspect', preset: { type: 'volume' } },
      { name: 'ls', summary: 'List volumes', module: 'volume-ls', aliases: ['list'] },
      { name: 'prune', summary: 'Remove unused local volumes', module: 'volume-prune' },
      { name: 'rm', summary: 'Remove one or more volumes', module: 'volume-rm', aliases: ['remove'] },
    ],
  },
  system: {
    summary: 'Manage berth',
    commands: [
      { name: 'df', summary: 'Show berth disk usage', module: 'system-df' },
      { name: 'events', summary: 'Get real time events from the server', module: 'events' },
      { name: 'info', summary: 'Display system-wide information', module: 'info' },
      { name: 'prune', summary: 'Remove unused data', module: 'system-prune' },
    ],
  },
};

export function findEntry(entries: CommandEntry[], word: string): CommandEntry | undefined {
  return entries.find((e) => e.name === word || e.aliases?.includes(word));
}
