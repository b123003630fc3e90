import { createRequire } from 'node:module';

/**
 * Intel's ISA-L igzip (Debian's libisal2) through koffi: whole-buffer gzip in one call, at about
 * 2.5 times libdeflate's speed at their fastest levels, for 4–5 % more bytes (libisal 2.30 and
 * libdeflate 1.14 on this machine's AVX-512 cores). It has no one-call C function taking plain
 * buffers: its stream structure is laid out here as igzip_lib.h declares it, the same contract
 * every C program built against libisal2 relies on (its size is part of that ABI: callers
 * allocate it). Loaded on first use, like libc.ts.
 */

interface IsalBindings {
  streamBytes: number;
  field: Record<StreamField, number>;
  encodePointer: (stream: Buffer, offset: number, target: Buffer) => void;
  init: (stream: Buffer) => void;
  deflateAsync: (stream: Buffer, done: (error: unknown, result: number) => void) => void;
}

type StreamField = 'next_in' | 'avail_in' | 'total_in' | 'next_out' | 'avail_out' | 'total_out' | 'level' | 'level_buf_size' | 'level_buf' | 'end_of_stream' | 'gzip_flag';

/** igzip_lib.h: COMP_OK, and gzip_flag's value for a gzip header and trailer around the deflate data. */
const COMP_OK = 0;
const IGZIP_GZIP = 1;
const STATELESS_OVERFLOW = -1;
/** igzip_lib.h: the internal window (IGZIP_HIST_SIZE, 32 KiB by default), look-ahead and level-0 hash table. */
const HIST_BYTES = 32 * 1024;
const LOOK_AHEAD_BYTES = 288;
const LVL0_HASH_ENTRIES = 8 * 1024;
/** The level buffer holds the hash table and a block's tokens: ISAL_DEF_LVL3_LARGE (the largest of the defaults) fits every level. */
const LEVEL_BUF_BYTES = 4 * 1024 + 4 * 4 * 1024 + 2 * 32 * 1024 + 4 * 64 * 1024;

let bindings: IsalBindings | undefined;

function isal(): IsalBindings {
  if (bindings !== undefined) return bindings;
  const require = createRequire(import.meta.url);
  const koffi = require('koffi') as typeof import('koffi');
  const lib = koffi.load('libisal.so.2');
  const bitBuffer = koffi.struct('isal_BitBuf2', { m_bits: 'uint64', m_bit_count: 'uint32', m_out_buf: 'void *', m_out_end: 'void *', m_out_start: 'void *' });
  const state = koffi.struct('isal_zstate', {
    total_in_start: 'uint32', block_next: 'uint32', block_end: 'uint32', dist_mask: 'uint32', hash_mask: 'uint32', state: 'int',
    bitbuf: bitBuffer, crc: 'uint32', has_wrap_hdr: 'uint8', has_eob_hdr: 'uint8', has_eob: 'uint8', has_hist: 'uint8', has_level_buf_init: 'uint16',
    count: 'uint32', tmp_out_buff: koffi.array('uint8', 16), tmp_out_start: 'uint32', tmp_out_end: 'uint32', b_bytes_valid: 'uint32', b_bytes_processed: 'uint32',
    buffer: koffi.array('uint8', 2 * HIST_BYTES + LOOK_AHEAD_BYTES), head: koffi.array('uint16', LVL0_HASH_ENTRIES),
  });
  const stream = koffi.struct('isal_zstream', {
    next_in: 'void *', avail_in: 'uint32', total_in: 'uint32', next_out: 'void *', avail_out: 'uint32', total_out: 'uint32',
    hufftables: 'void *', level: 'uint32', level_buf_size: 'uint32', level_buf: 'void *',
    end_of_stream: 'uint16', flush: 'uint16', gzip_flag: 'uint16', hist_bits: 'uint16', internal_state: state,
  });
  const fields: StreamField[] = ['next_in', 'avail_in', 'total_in', 'next_out', 'avail_out', 'total_out', 'level', 'level_buf_size', 'level_buf', 'end_of_stream', 'gzip_flag'];
  const deflate = lib.func('int isal_deflate_stateless(void *stream)');
  bindings = {
    streamBytes: koffi.sizeof(stream),
    field: Object.fromEntries(fields.map((name) => [name, koffi.offsetof(stream, name)])) as Record<StreamField, number>,
    // A buffer encoded as a pointer is its memory's address: the library writes straight into it.
    encodePointer: (target, offset, value) => koffi.encode(target, offset, 'void *', value),
    init: lib.func('void isal_deflate_stateless_init(void *stream)'),
    // koffi runs async calls on libuv's thread pool: blocks compress on every core.
    deflateAsync: (target, done) => deflate.async(target, done),
  };
  return bindings;
}

/** The most a block of `inputBytes` can take: stored blocks (5 bytes per 64 KiB) and the gzip header and trailer, with room to spare. */
function outputBound(inputBytes: number): number {
  return inputBytes + 5 * Math.ceil(inputBytes / 65535 + 1) + 1024;
}

/** One igzip compressor (levels 0–3): not to be shared by two compressions at once. */
export class GzipCompressor {
  /**
   * The stream structure with its level buffer after it, in one Buffer: the stream points into
   * it, and the callback of a compression that holds the Buffer holds both while the thread works.
   */
  private readonly state: Buffer;
  /** Reused by every compression: what each gives back is a copy of its exact size. */
  private output = Buffer.alloc(0);

  constructor(private readonly level: number) {
    if (!Number.isInteger(level) || level < 0 || level > 3) throw new RangeError(`igzip has levels 0 to 3, not ${level}`);
    this.state = Buffer.alloc(isal().streamBytes + LEVEL_BUF_BYTES);
  }

  /** `input` as one complete gzip member, compressed off the main thread. */
  gzip(input: Buffer): Promise<Buffer> {
    const calls = isal();
    const { field, streamBytes } = calls;
    const bound = outputBound(input.length);
    if (this.output.length < bound) this.output = Buffer.allocUnsafe(bound);
    const output = this.output;
    const state = this.state;
    calls.init(state);
    calls.encodePointer(state, field.next_in, input);
    state.writeUInt32LE(input.length, field.avail_in);
    calls.encodePointer(state, field.next_out, output);
    state.writeUInt32LE(output.length, field.avail_out);
    state.writeUInt32LE(this.level, field.level);
    state.writeUInt32LE(LEVEL_BUF_BYTES, field.level_buf_size);
    calls.encodePointer(state, field.level_buf, state.subarray(streamBytes));
    state.writeUInt16LE(1, field.end_of_stream);
    state.writeUInt16LE(IGZIP_GZIP, field.gzip_flag);
    return new Promise((resolve, reject) => {
      // The callback holds input, output and the state until the thread is done with them.
      calls.deflateAsync(state, (error, result) => {
        if (error) reject(error instanceof Error ? error : new Error(String(error)));
        else if (result === STATELESS_OVERFLOW) reject(new Error('igzip: the output did not fit its bound'));
        else if (result !== COMP_OK) reject(new Error(`igzip: compression failed (${result})`));
        else if (state.readUInt32LE(field.total_in) !== input.length) reject(new Error(`igzip: took ${state.readUInt32LE(field.total_in)} of ${input.length} bytes`));
        else resolve(Buffer.from(output.subarray(0, state.readUInt32LE(field.total_out))));
      });
    });
  }
}
