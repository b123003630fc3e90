import { conflict } from '../common/errors.js';
import type { Digest } from '../store/digest.js';
import type { ImageStore, StoredImage } from './image-store.js';
import { type ImageReference, familiarString, parseNormalizedNamed, referenceName, withDefaultTag } from '../common/image-reference.js';

/** A container created from an image, as the container code reports it. */
export interface ContainerUse {
  id: string;
  running: boolean;
}

/** Tells which containers were created from an image; supplied by the container code. */
export type ContainersUsingImage = (imageId: Digest) => ContainerUse[] | Promise<ContainerUse[]>;

/** Docker's ImageDeleteResponseItem. */
export interface ImageDeleteItem {
  Untagged?: string;
  Deleted?: string;
}

export interface DeleteOutcome {
  /** The image the name resolved to. */
  imageId: Digest;
  items: ImageDeleteItem[];
  /** The image whose record was removed, if it came to that (its layers may now be unused). */
  deleted?: StoredImage;
}

/** Docker's short id: 12 hex digits without the algorithm. */
export function truncateId(id: string): string {
  const colon = id.indexOf(':');
  return (colon === -1 ? id : id.slice(colon + 1)).slice(0, 12);
}

function isImageIdPrefix(imageId: string, candidate: string): boolean {
  return imageId.startsWith(candidate) || imageId.slice(imageId.indexOf(':') + 1).startsWith(candidate);
}

/** Docker's isSingleReference: at most one tag, and every reference in that tag's repository. */
function isSingleReference(references: readonly ImageReference[]): boolean {
  if (references.length <= 1) return references.length === 1;
  const repositories = new Set<string>();
  let single: ImageReference | undefined;
  for (const reference of references) {
    if (reference.digest !== undefined) {
      repositories.add(referenceName(reference));
    } else if (single === undefined) {
      repositories.add(referenceName(reference));
      single = reference;
    } else {
      return false;
    }
  }
  const chosen = single ?? references[0]!;
  return repositories.size === 1 && repositories.has(referenceName(chosen));
}

interface ConflictCheck {
  hard: boolean;
  activeReferences: boolean;
  stoppedContainers: boolean;
}

async function findConflict(
  store: ImageStore,
  image: StoredImage,
  containers: readonly ContainerUse[],
  check: ConflictCheck,
): Promise<Error | undefined> {
  const id = truncateId(image.id);
  if (check.hard) {
    const children = (await store.list()).filter((other) => other.record.parent === image.id);
    if (children.length > 0) return conflict(`conflict: unable to delete ${id} (cannot be forced) - image has dependent child images`);
    const running = containers.find((container) => container.running);
    if (running !== undefined) {
      return conflict(`conflict: unable to delete ${id} (cannot be forced) - image is being used by running container ${truncateId(running.id)}`);
    }
  }
  if (check.activeReferences && (await store.referencesTo(image.id)).length > 0) {
    return conflict(`conflict: unable to delete ${id} (must be forced) - image is referenced in multiple repositories`);
  }
  if (check.stoppedContainers) {
    const stopped = containers.find((container) => !container.running);
    if (stopped !== undefined) {
      return conflict(`conflict: unable to delete ${id} (must be forced) - image is being used by stopped container ${truncateId(stopped.id)}`);
    }
  }
  return undefined;
}

/**
 * `docker rmi` with Docker's rules: a name removes that reference and deletes the
 * image only when no reference is left; an id deletes the image, untagging it
 * first when all its references are one repository's (otherwise that needs force).
 * Containers block deletion: stopped ones unless forced, running ones always.
 * Layers are not touched here; the caller collects the ones left unused.
 */
export async function deleteImage(
  store: ImageStore,
  input: string,
  options: { force: boolean; containersUsing: ContainersUsingImage },
): Promise<DeleteOutcome> {
  const image = await store.resolve(input);
  const containers = await options.containersUsing(image.id);
  const items: ImageDeleteItem[] = [];
  let references = await store.referencesTo(image.id);

  const byName = !isImageIdPrefix(image.id, input);
  if (byName) {
    const user = containers[0];
    if (user !== undefined && !options.force && references.length === 1) {
      throw conflict(
        `conflict: unable to remove repository reference ${JSON.stringify(input)} (must force) - container ${truncateId(user.id)} is using its referenced image ${truncateId(image.id)}`,
      );
    }
    const named = parseNormalizedNamed(input);
    const removed: ImageReference =
      named.digest !== undefined ? { domain: named.domain, path: named.path, digest: named.digest } : withDefaultTag(named);
    await store.removeReference(removed);
    items.push({ Untagged: familiarString(removed) });
    references = await store.referencesTo(image.id);
    if (removed.digest === undefined) {
      const sameRepository = (reference: ImageReference): boolean => referenceName(reference) === referenceName(removed);
      const tagLeft = references.some((reference) => reference.digest === undefined && sameRepository(reference));
      if (!tagLeft) {
        for (const reference of references.filter((candidate) => candidate.digest !== undefined && sameRepository(candidate))) {
          await store.removeReference(reference);
          items.push({ Untagged: familiarString(reference) });
        }
        references = await store.referencesTo(image.id);
      }
    }
    if (references.length > 0) return { imageId: image.id, items };
  } else if (isSingleReference(references)) {
    const blocking = await findConflict(store, image, containers, {
      hard: true,
      activeReferences: false,
      stoppedContainers: !options.force,
    });
    if (blocking !== undefined) throw blocking;
    for (const reference of references) {
      await store.removeReference(reference);
      items.push({ Untagged: familiarString(reference) });
    }
  }

  const blocking = await findConflict(store, image, containers, {
    hard: true,
    activeReferences: !options.force,
    stoppedContainers: !options.force,
  });
  if (blocking !== undefined) {
    // Docker: once the last name is gone, an image still in use simply stays, untagged.
    if (byName) return { imageId: image.id, items };
    throw blocking;
  }
  for (const reference of await store.referencesTo(image.id)) {
    await store.removeReference(reference);
    items.push({ Untagged: familiarString(reference) });
  }
  await store.delete(image.id);
  items.push({ Deleted: image.id });
  return { imageId: image.id, items, deleted: image };
}
