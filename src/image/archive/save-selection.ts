import { notFound } from '../../common/errors.js';
import { type Digest, digestHex, isDigest } from '../../store/digest.js';
import {
  type ImageReference,
  familiarName,
  familiarString,
  isNamedReference,
  parseAnyReference,
  referenceName,
  referenceString,
  withDefaultTag,
} from '../../common/image-reference.js';

/** What name selection looks at: every reference with its image, and every image id. */
export interface SaveCatalog {
  references: ReadonlyArray<{ reference: ImageReference; id: Digest }>;
  ids: readonly Digest[];
}

export interface SelectedImage {
  id: Digest;
  /** Tags to write for the image (digest references name no tag). */
  tags: ImageReference[];
}

/**
 * Which images `docker save NAME...` writes, by Docker's rules (tarexport parseNames): an id
 * or digest saves that image untagged; `repo:tag` saves it with that tag; a bare repository
 * name saves every image of the repository with all its tags, or, when no reference has that
 * name, the image whose id starts with it. Images come in the order first named; an unknown
 * name fails the whole selection, so nothing is written for it.
 */
export function selectImagesToSave(names: readonly string[], catalog: SaveCatalog): SelectedImage[] {
  const selected = new Map<Digest, ImageReference[]>();
  const add = (id: Digest, tag?: ImageReference): void => {
    const tags = selected.get(id) ?? [];
    selected.set(id, tags);
    if (tag !== undefined && !tags.some((known) => referenceString(known) === referenceString(tag))) tags.push(tag);
  };
  for (const name of names) {
    const parsed = parseAnyReference(name);
    if (!isNamedReference(parsed)) {
      const id = isDigest(parsed.digest) && catalog.ids.includes(parsed.digest) ? parsed.digest : undefined;
      if (id === undefined) throw notFound(`No such image: ${name}`);
      add(id);
      continue;
    }
    // `sha256:<prefix>` parses as repository "sha256" with a tag: it means an id prefix.
    if (familiarName(parsed) === 'sha256') {
      add(byIdPrefix(name, catalog.ids));
      continue;
    }
    if (parsed.tag === undefined && parsed.digest === undefined) {
      const ofRepository = catalog.references.filter(({ reference }) => referenceName(reference) === referenceName(parsed));
      for (const { reference, id } of ofRepository) add(id, reference.tag === undefined ? undefined : reference);
      if (ofRepository.length === 0) add(byIdPrefix(name, catalog.ids));
      continue;
    }
    const wanted = referenceString(parsed.digest === undefined ? withDefaultTag(parsed) : parsed);
    const match = catalog.references.find(({ reference }) => referenceString(reference) === wanted);
    if (match === undefined) throw notFound(`No such image: ${familiarString(parsed)}`);
    add(match.id, parsed.digest === undefined ? withDefaultTag(parsed) : undefined);
  }
  return [...selected].map(([id, tags]) => ({ id, tags }));
}

function byIdPrefix(name: string, ids: readonly Digest[]): Digest {
  const prefix = /^(?:sha256:)?([a-f0-9]+)$/.exec(name)?.[1];
  const matches = prefix === undefined ? [] : ids.filter((id) => digestHex(id).startsWith(prefix));
  if (matches.length !== 1) throw notFound(`No such image: ${name}`);
  return matches[0]!;
}
