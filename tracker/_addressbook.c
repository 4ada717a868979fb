/* The sync's address book: every address of the file with its id, in memory, so a step's addresses get
 * their ids by hash lookups (time in proportion to the step) instead of a scan of `addresses` per write.
 *
 * Python (store.AddressBook) keeps it equal to the file's `addresses` table; this module only maps keys.
 * Keys come as an Arrow stream of string views (polars' String columns as they are, no copy), and `intern`
 * answers with Arrow int32 arrays (polars takes them without a copy either). Ids are int32, as address_id is.
 *
 *   book()                                -> capsule
 *   add(book, keys, first_id)             -> None    keys (a stream) get first_id, first_id + 1, ...; a key
 *                                                    already held is an error (the file's addresses are
 *                                                    unique), and the book is left as it was
 *   intern(book, keys, next_id)           -> (ids, new): keys an "arrow_array_stream" capsule of strings;
 *                                                    ids the id of every key; keys not held get next_id,
 *                                                    next_id + 1, ... in order of first appearance, and
 *                                                    `new` holds their positions among the keys; each an
 *                                                    Arrow int32 array as a (schema, array) capsule pair.
 *                                                    A null or empty key is refused (ValueError) before
 *                                                    the book changes
 *   size(book)                            -> number of keys held
 *   base58check_hex(keys, prefix)         -> (schema, array): keys an "arrow_array_stream" capsule of 40-hex-digit
 *                                                    strings (nulls allowed); each as base58check of the prefix
 *                                                    byte and its 20 bytes (with the checksum, the first 4
 *                                                    bytes of SHA-256 of SHA-256 of those 21, in base58:
 *                                                    Bitcoin's alphabet, a leading '1' per leading zero
 *                                                    byte): how Tron spells an address (prefix 0x41). An
 *                                                    Arrow utf-8 array, nulls kept, each distinct address
 *                                                    encoded once
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arrow_c.h"

typedef struct {
    uint64_t offset; /* in the arena */
    uint64_t hash;   /* kept, so growing the slots reads no keys */
    uint32_t length;
    int32_t id;
} entry;

typedef struct {
    char *arena;
    size_t arena_used, arena_size;
    entry *entries;
    size_t count, entries_size;
    /* Per slot: entry index + 1 in the low half (0: empty), the key's hash's high half above it, so a probe
     * past other keys rarely reads their entries. A power of two, at most half full. */
    uint64_t *slots;
    size_t slot_mask;
} book;

static const char CAPSULE[] = "tracker.address_book";

typedef struct {
    const char *key;
    size_t length;
    uint64_t hash;
} key_ref;

#define PREFETCH_AHEAD 16

static uint64_t hash_key(const char *key, size_t length) {
    uint64_t h = 0x9e3779b97f4a7c15ULL ^ length;
    size_t i = 0;
    for (; i + 8 <= length; i += 8) {
        uint64_t word;
        memcpy(&word, key + i, 8);
        h = (h ^ word) * 0xff51afd7ed558ccdULL;
        h ^= h >> 32;
    }
    uint64_t tail = 0;
    memcpy(&tail, key + i, length - i);
    h = (h ^ tail) * 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 29;
    return h;
}

static void book_free(book *b) {
    free(b->arena);
    free(b->entries);
    free(b->slots);
    free(b);
}

static void capsule_free(PyObject *capsule) {
    book *b = PyCapsule_GetPointer(capsule, CAPSULE);
    if (b) book_free(b);
}

static book *get_book(PyObject *capsule) { return PyCapsule_GetPointer(capsule, CAPSULE); }

static inline uint64_t slot_value(uint64_t hash, size_t entry_index) {
    return (hash & 0xffffffff00000000ULL) | (uint64_t)(entry_index + 1);
}

/* Puts every entry into empty slots (after a growth or an undo). */
static void place_all(book *b) {
    memset(b->slots, 0, (b->slot_mask + 1) * sizeof *b->slots);
    for (size_t e = 0; e < b->count; e++) {
        if (e + PREFETCH_AHEAD < b->count)
            __builtin_prefetch(&b->slots[b->entries[e + PREFETCH_AHEAD].hash & b->slot_mask], 1);
        uint64_t h = b->entries[e].hash;
        size_t s = h & b->slot_mask;
        while (b->slots[s]) s = (s + 1) & b->slot_mask;
        b->slots[s] = slot_value(h, e);
    }
}

static int grow_slots(book *b, size_t wanted_count) {
    size_t size = b->slot_mask + 1;
    if (b->slots && wanted_count * 2 <= size) return 0;
    while (wanted_count * 2 > size) size *= 2;
    uint64_t *slots = malloc(size * sizeof *slots);
    if (!slots) return -1;
    free(b->slots);
    b->slots = slots;
    b->slot_mask = size - 1;
    place_all(b);
    return 0;
}

static int reserve(book *b, size_t more_keys, size_t more_bytes) {
    if (b->count + more_keys > UINT32_MAX - 1) return -1;
    if (b->count + more_keys > b->entries_size) {
        size_t size = b->entries_size ? b->entries_size : 1024;
        while (size < b->count + more_keys) size *= 2;
        entry *entries = realloc(b->entries, size * sizeof *entries);
        if (!entries) return -1;
        b->entries = entries, b->entries_size = size;
    }
    if (b->arena_used + more_bytes > b->arena_size) {
        size_t size = b->arena_size ? b->arena_size : 65536;
        while (size < b->arena_used + more_bytes) size *= 2;
        char *arena = realloc(b->arena, size);
        if (!arena) return -1;
        b->arena = arena, b->arena_size = size;
    }
    return grow_slots(b, b->count + more_keys);
}

/* The slot holding key, or the empty slot where it would go. */
static size_t find(const book *b, const char *key, size_t length, uint64_t hash) {
    size_t s = hash & b->slot_mask;
    uint64_t high = hash & 0xffffffff00000000ULL;
    for (;;) {
        uint64_t value = b->slots[s];
        if (!value) return s;
        if ((value & 0xffffffff00000000ULL) == high) {
            const entry *held = &b->entries[(uint32_t)value - 1];
            if (held->length == length && memcmp(b->arena + held->offset, key, length) == 0) return s;
        }
        s = (s + 1) & b->slot_mask;
    }
}

static inline const entry *held_at(const book *b, size_t slot) {
    return b->slots[slot] ? &b->entries[(uint32_t)b->slots[slot] - 1] : NULL;
}

static void put(book *b, size_t slot, const char *key, size_t length, int32_t id, uint64_t hash) {
    memcpy(b->arena + b->arena_used, key, length);
    b->entries[b->count] = (entry){.offset = b->arena_used, .hash = hash, .length = (uint32_t)length, .id = id};
    b->slots[slot] = slot_value(hash, b->count);
    b->arena_used += length;
    b->count++;
}

/* Drops the keys added after the first `count` (a call that failed), so the book holds what it held. */
static void truncate_book(book *b, size_t count, size_t arena_used) {
    b->count = count, b->arena_used = arena_used;
    place_all(b);
}

static PyObject *py_book(PyObject *self, PyObject *args) {
    (void)self, (void)args;
    book *b = calloc(1, sizeof *b);
    if (!b) return PyErr_NoMemory();
    PyObject *capsule = PyCapsule_New(b, CAPSULE, capsule_free);
    if (!capsule) book_free(b);
    return capsule;
}

static PyObject *py_size(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *capsule;
    if (!PyArg_ParseTuple(args, "O", &capsule)) return NULL;
    book *b = get_book(capsule);
    if (!b) return NULL;
    return PyLong_FromSize_t(b->count);
}

/* ------------------------------------------------------------------------------- Arrow in and out */

/* The keys' chunks, as the stream gave them: each a string view array ("vu"), 16 bytes a value (its length,
 * then up to 12 bytes inline, or a 4-byte prefix, the data buffer's index and the offset in it). */
typedef struct {
    struct ArrowArray *arrays;
    size_t count, size;
} chunks;

static void chunks_free(chunks *c) {
    for (size_t i = 0; i < c->count; i++)
        if (c->arrays[i].release) c->arrays[i].release(&c->arrays[i]);
    free(c->arrays);
}

static const char *view_key(const struct ArrowArray *a, int64_t i, size_t *length) {
    const unsigned char *view = (const unsigned char *)a->buffers[1] + 16 * (a->offset + i);
    int32_t n, buffer, offset;
    memcpy(&n, view, 4);
    *length = (size_t)n;
    if (n <= 12) return (const char *)view + 4;
    memcpy(&buffer, view + 8, 4);
    memcpy(&offset, view + 12, 4);
    return (const char *)a->buffers[2 + buffer] + offset;
}

/* Does value i of `a` lie within the buffers the array declares (validity, views, data buffers, their
 * lengths)? NULL, or why not. */
static const char *check_view(const struct ArrowArray *a, int64_t i) {
    const unsigned char *view = (const unsigned char *)a->buffers[1] + 16 * (a->offset + i);
    int32_t n, buffer, offset;
    memcpy(&n, view, 4);
    if (n < 0) return "a view outside its buffers";
    if (n <= 12) return NULL;
    memcpy(&buffer, view + 8, 4);
    memcpy(&offset, view + 12, 4);
    const int64_t *sizes = a->buffers[a->n_buffers - 1];
    if (buffer < 0 || buffer >= a->n_buffers - 3 || offset < 0 || (int64_t)offset + n > sizes[buffer])
        return "a view outside its buffers";
    return NULL;
}

/* Is every value of `a` a key the book may hold (not null, not empty)? Adds up its bytes. */
static const char *check_chunk(const struct ArrowArray *a, size_t *bytes) {
    if (a->null_count != 0 && a->buffers[0] != NULL) return "a null key";
    for (int64_t i = 0; i < a->length; i++) {
        const char *refused = check_view(a, i);
        if (refused) return refused;
        size_t length;
        view_key(a, i, &length);
        if (length == 0) return "an empty key";
        *bytes += length;
    }
    return NULL;
}

/* Every chunk of a stream of string views; NULL, or why not. */
static const char *collect_stream(struct ArrowArrayStream *stream, chunks *out) {
    struct ArrowSchema schema;
    if (stream->get_schema(stream, &schema) != 0) return "the stream has no schema";
    int views = strcmp(schema.format, "vu") == 0 || strcmp(schema.format, "vz") == 0;
    schema.release(&schema);
    if (!views) return "keys must be Arrow string views";
    for (;;) {
        if (out->count == out->size) {
            size_t size = out->size ? out->size * 2 : 8;
            struct ArrowArray *arrays = realloc(out->arrays, size * sizeof *arrays);
            if (!arrays) return "out of memory";
            out->arrays = arrays, out->size = size;
        }
        struct ArrowArray *a = &out->arrays[out->count];
        if (stream->get_next(stream, a) != 0) return "the stream failed";
        if (!a->release) return NULL; /* the end */
        out->count++;
        if (a->n_buffers < 3 || a->n_children != 0 || a->length < 0 || a->offset < 0) return "not a string view array";
    }
}

/* The stream a capsule carries, checked (NULL and an exception if not). */
static struct ArrowArrayStream *stream_of(PyObject *capsule) {
    struct ArrowArrayStream *stream = PyCapsule_GetPointer(capsule, "arrow_array_stream");
    if (stream && !stream->release) {
        PyErr_SetString(PyExc_ValueError, "the stream was released");
        return NULL;
    }
    return stream;
}

/* Every chunk of the stream, checked as keys; the number of keys and their bytes. NULL, or why not. */
static const char *read_stream(struct ArrowArrayStream *stream, chunks *out, size_t *count, size_t *bytes) {
    const char *refused = collect_stream(stream, out);
    for (size_t i = 0; !refused && i < out->count; i++) {
        refused = check_chunk(&out->arrays[i], bytes);
        *count += (size_t)out->arrays[i].length;
    }
    return refused;
}

/* The keys in order, across chunks. */
typedef struct {
    const chunks *c;
    size_t chunk;
    int64_t index;
} cursor;

static const char *next_key(cursor *at, size_t *length) {
    while (at->index >= at->c->arrays[at->chunk].length) at->chunk++, at->index = 0;
    return view_key(&at->c->arrays[at->chunk], at->index++, length);
}

/* An int32 Arrow array owning its values (malloc'd), exported as a (schema, array) capsule pair. */
static void release_static_schema(struct ArrowSchema *schema) { schema->release = NULL; }

static void release_int32_array(struct ArrowArray *array) {
    free(array->private_data);
    free(array->buffers);
    array->release = NULL;
}

/* Takes `values` (freed with the array, or here if the export fails). */
static PyObject *int32_capsules(int32_t *values, int64_t length) {
    struct ArrowSchema *schema = malloc(sizeof *schema);
    struct ArrowArray *array = malloc(sizeof *array);
    const void **buffers = malloc(2 * sizeof *buffers);
    if (!schema || !array || !buffers) {
        free(schema), free(array), free(buffers), free(values);
        return PyErr_NoMemory();
    }
    *schema = (struct ArrowSchema){.format = "i", .name = "", .release = release_static_schema};
    buffers[0] = NULL, buffers[1] = values;
    *array = (struct ArrowArray){.length = length, .n_buffers = 2, .buffers = buffers,
                                 .release = release_int32_array, .private_data = values};
    return capsule_pair(schema, array);
}

/* The arguments of add and intern, (book, keys stream, first id), with the keys read and checked. */
typedef struct {
    book *b;
    chunks c;
    size_t count, bytes;
    long long first_id;
} keys_call;

/* 0, or -1 with the exception set (nothing left to free). */
static int read_keys_call(PyObject *args, keys_call *call) {
    PyObject *capsule, *stream_capsule;
    *call = (keys_call){0};
    if (!PyArg_ParseTuple(args, "OOL", &capsule, &stream_capsule, &call->first_id)) return -1;
    call->b = get_book(capsule);
    struct ArrowArrayStream *stream = call->b ? stream_of(stream_capsule) : NULL;
    if (!stream) return -1;
    const char *refused = read_stream(stream, &call->c, &call->count, &call->bytes);
    if (!refused && (call->first_id < 1 || call->first_id + (long long)call->count - 1 > INT32_MAX))
        refused = "ids out of range";
    if (refused) {
        chunks_free(&call->c);
        PyErr_SetString(PyExc_ValueError, refused);
        return -1;
    }
    return 0;
}

static PyObject *py_intern(PyObject *self, PyObject *args) {
    (void)self;
    keys_call call;
    if (read_keys_call(args, &call) != 0) return NULL;
    book *b = call.b;
    chunks c = call.c;
    size_t count = call.count, bytes = call.bytes;
    long long first_id = call.first_id;
    int32_t *out = malloc((count ? count : 1) * 4);
    int32_t *positions = malloc((count ? count : 1) * 4);
    if (!out || !positions || reserve(b, count, bytes) != 0) {
        chunks_free(&c), free(out), free(positions);
        return PyErr_NoMemory();
    }
    size_t fresh = 0;
    Py_BEGIN_ALLOW_THREADS
    /* A key's slot is asked for PREFETCH_AHEAD keys before it is looked up: the slots are far apart in
     * memory, and waiting for each in turn was most of a lookup's time. */
    key_ref ahead[PREFETCH_AHEAD];
    cursor reading = {.c = &c};
    for (size_t i = 0; i < count && i < PREFETCH_AHEAD; i++) {
        ahead[i].key = next_key(&reading, &ahead[i].length);
        ahead[i].hash = hash_key(ahead[i].key, ahead[i].length);
        __builtin_prefetch(&b->slots[ahead[i].hash & b->slot_mask]);
    }
    for (size_t i = 0; i < count; i++) {
        key_ref ref = ahead[i % PREFETCH_AHEAD];
        if (i + PREFETCH_AHEAD < count) {
            key_ref *next = &ahead[i % PREFETCH_AHEAD];
            next->key = next_key(&reading, &next->length);
            next->hash = hash_key(next->key, next->length);
            __builtin_prefetch(&b->slots[next->hash & b->slot_mask]);
        }
        size_t slot = find(b, ref.key, ref.length, ref.hash);
        const entry *held = held_at(b, slot);
        if (held) {
            out[i] = held->id;
        } else {
            out[i] = (int32_t)(first_id + (long long)fresh);
            put(b, slot, ref.key, ref.length, out[i], ref.hash);
            positions[fresh++] = (int32_t)i;
        }
    }
    Py_END_ALLOW_THREADS
    chunks_free(&c);
    PyObject *ids = int32_capsules(out, (int64_t)count);
    PyObject *new = ids ? int32_capsules(positions, (int64_t)fresh) : (free(positions), NULL);
    if (!new) {
        Py_XDECREF(ids);
        return NULL;
    }
    return Py_BuildValue("(NN)", ids, new);
}

static PyObject *py_add(PyObject *self, PyObject *args) {
    (void)self;
    keys_call call;
    if (read_keys_call(args, &call) != 0) return NULL;
    book *b = call.b;
    chunks c = call.c;
    size_t count = call.count;
    long long first_id = call.first_id;
    const char *refused = reserve(b, count, call.bytes) != 0 ? "out of memory" : NULL;
    size_t count_before = b->count, arena_before = b->arena_used;
    cursor reading = {.c = &c};
    for (size_t i = 0; !refused && i < count; i++) {
        size_t length;
        const char *key = next_key(&reading, &length);
        uint64_t h = hash_key(key, length);
        size_t slot = find(b, key, length, h);
        if (held_at(b, slot)) {
            truncate_book(b, count_before, arena_before);
            refused = "a key is already held";
            break;
        }
        put(b, slot, key, length, (int32_t)(first_id + (long long)i), h);
    }
    chunks_free(&c);
    if (refused) {
        PyErr_SetString(PyExc_ValueError, refused);
        return NULL;
    }
    Py_RETURN_NONE;
}

/* ------------------------------------------------------------------------------------------ SHA-256 */

/* FIPS 180-4. The constants are computed from their definition when the module loads: the first 32 bits of
 * the fractional parts of the cube roots (K) and square roots (H0) of the first primes, as exact integer
 * roots of p * 2^96 and p * 2^64. */
static uint32_t sha_k[64], sha_h0[8];

static uint64_t integer_root(unsigned __int128 n, int power) {
    uint64_t low = 0, high = (uint64_t)1 << 40; /* every root wanted here is below 2^37 */
    while (low < high) {
        uint64_t middle = low + (high - low + 1) / 2;
        unsigned __int128 value = middle;
        for (int i = 1; i < power; i++) value *= middle;
        if (value <= n) low = middle; else high = middle - 1;
    }
    return low;
}

static void sha256_constants(void) {
    int found = 0;
    for (uint32_t candidate = 2; found < 64; candidate++) {
        int prime = 1;
        for (uint32_t d = 2; d * d <= candidate; d++)
            if (candidate % d == 0) { prime = 0; break; }
        if (!prime) continue;
        sha_k[found] = (uint32_t)integer_root((unsigned __int128)candidate << 96, 3);
        if (found < 8) sha_h0[found] = (uint32_t)integer_root((unsigned __int128)candidate << 64, 2);
        found++;
    }
}

#define ROTR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void sha256_block(uint32_t state[8], const unsigned char block[64]) {
    uint32_t w[64];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)block[4 * i] << 24 | (uint32_t)block[4 * i + 1] << 16 | (uint32_t)block[4 * i + 2] << 8 | block[4 * i + 3];
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = ROTR(w[i - 15], 7) ^ ROTR(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = ROTR(w[i - 2], 17) ^ ROTR(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = state[0], b = state[1], c = state[2], d = state[3], e = state[4], f = state[5], g = state[6], h = state[7];
    for (int i = 0; i < 64; i++) {
        uint32_t t1 = h + (ROTR(e, 6) ^ ROTR(e, 11) ^ ROTR(e, 25)) + ((e & f) ^ (~e & g)) + sha_k[i] + w[i];
        uint32_t t2 = (ROTR(a, 2) ^ ROTR(a, 13) ^ ROTR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        h = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
    }
    state[0] += a; state[1] += b; state[2] += c; state[3] += d; state[4] += e; state[5] += f; state[6] += g; state[7] += h;
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define SHA_EXTENSIONS 1

/* The same block with the x86 SHA extensions (Intel's SHA-256 instructions: two rounds per sha256rnds2, the
 * message schedule by sha256msg1/msg2), used when the CPU has them; ≈ 5× the portable block above. The state
 * is held as ABEF and CDGH, the order sha256rnds2 works in. */
__attribute__((target("sha,sse4.1,ssse3"))) static void sha256_block_sha_ni(uint32_t state[8], const unsigned char block[64]) {
    const __m128i big_endian = _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);
    __m128i dcba = _mm_loadu_si128((const __m128i *)&state[0]);
    __m128i hgfe = _mm_loadu_si128((const __m128i *)&state[4]);
    __m128i cdab = _mm_shuffle_epi32(dcba, 0xB1);
    __m128i efgh = _mm_shuffle_epi32(hgfe, 0x1B);
    __m128i abef = _mm_alignr_epi8(cdab, efgh, 8);
    __m128i cdgh = _mm_blend_epi16(efgh, cdab, 0xF0);
    const __m128i abef_before = abef, cdgh_before = cdgh;
    __m128i w[4]; /* W[4g..4g+3] of the group being run, the three before it in the other slots */
    for (int g = 0; g < 16; g++) {
        if (g < 4) {
            w[g] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(block + 16 * g)), big_endian);
        } else { /* W[t] = s1(W[t-2]) + W[t-7] + s0(W[t-15]) + W[t-16], four at once */
            __m128i next = _mm_sha256msg1_epu32(w[g & 3], w[(g - 3) & 3]);
            next = _mm_add_epi32(next, _mm_alignr_epi8(w[(g - 1) & 3], w[(g - 2) & 3], 4));
            w[g & 3] = _mm_sha256msg2_epu32(next, w[(g - 1) & 3]);
        }
        __m128i wk = _mm_add_epi32(w[g & 3], _mm_loadu_si128((const __m128i *)&sha_k[4 * g]));
        cdgh = _mm_sha256rnds2_epu32(cdgh, abef, wk);
        abef = _mm_sha256rnds2_epu32(abef, cdgh, _mm_shuffle_epi32(wk, 0x0E));
    }
    abef = _mm_add_epi32(abef, abef_before);
    cdgh = _mm_add_epi32(cdgh, cdgh_before);
    __m128i feba = _mm_shuffle_epi32(abef, 0x1B);
    __m128i dchg = _mm_shuffle_epi32(cdgh, 0xB1);
    _mm_storeu_si128((__m128i *)&state[0], _mm_blend_epi16(feba, dchg, 0xF0));
    _mm_storeu_si128((__m128i *)&state[4], _mm_alignr_epi8(dchg, feba, 8));
}
#endif

/* The block function this CPU runs (chosen when the module loads; TRACKER_SHA_EXTENSIONS=0 keeps the portable one,
 * to compare the two). */
static void (*sha256_block_here)(uint32_t state[8], const unsigned char block[64]) = sha256_block;

static void choose_sha256_block(void) {
#ifdef SHA_EXTENSIONS
    const char *wanted = getenv("TRACKER_SHA_EXTENSIONS");
    __builtin_cpu_init();
    if (__builtin_cpu_supports("sha") && __builtin_cpu_supports("sse4.1") && !(wanted && strcmp(wanted, "0") == 0))
        sha256_block_here = sha256_block_sha_ni;
#endif
}

static void sha256(const unsigned char *data, size_t length, unsigned char digest[32]) {
    uint32_t state[8];
    memcpy(state, sha_h0, sizeof state);
    size_t done = 0;
    for (; done + 64 <= length; done += 64) sha256_block_here(state, data + done);
    unsigned char tail[128] = {0};
    size_t rest = length - done;
    memcpy(tail, data + done, rest);
    tail[rest] = 0x80;
    size_t blocks = rest + 9 <= 64 ? 1 : 2;
    uint64_t bits = (uint64_t)length * 8;
    for (int i = 0; i < 8; i++) tail[blocks * 64 - 1 - i] = (unsigned char)(bits >> (8 * i));
    for (size_t i = 0; i < blocks; i++) sha256_block_here(state, tail + 64 * i);
    for (int i = 0; i < 8; i++) {
        digest[4 * i] = (unsigned char)(state[i] >> 24);
        digest[4 * i + 1] = (unsigned char)(state[i] >> 16);
        digest[4 * i + 2] = (unsigned char)(state[i] >> 8);
        digest[4 * i + 3] = (unsigned char)state[i];
    }
}

/* ------------------------------------------------------------------------------------------ base58 */

static const char base58_alphabet[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

/* One payload in base58 into out (room for 2 * width characters: base58 needs log(256)/log(58) ≈ 1.37 a
 * byte); returns the characters written. The payload is read as a big-endian number in 32-bit limbs and
 * divided by 58^5 (which fits 32 bits) per pass, five digits a pass; the zero digits that the last pass
 * put above the number's first digit are dropped, and each leading zero byte is a '1'. */
#define BASE58_POW5 656356768u /* 58^5 */

static Py_ssize_t base58_one(const unsigned char *payload, Py_ssize_t width, char *out) {
    Py_ssize_t zeros = 0;
    while (zeros < width && payload[zeros] == 0) zeros++;
    uint32_t limbs[64];
    Py_ssize_t count = (width + 3) / 4, head = width - 4 * (count - 1), at = 0;
    for (Py_ssize_t i = 0; i < count; i++) {
        uint32_t limb = 0;
        for (Py_ssize_t b = 0; b < (i == 0 ? head : 4); b++) limb = limb << 8 | payload[at++];
        limbs[i] = limb;
    }
    char reversed[512];
    Py_ssize_t digits = 0, start = 0;
    while (start < count && limbs[start] == 0) start++;
    while (start < count) {
        uint64_t remainder = 0;
        for (Py_ssize_t i = start; i < count; i++) {
            uint64_t value = remainder << 32 | limbs[i];
            limbs[i] = (uint32_t)(value / BASE58_POW5);
            remainder = value % BASE58_POW5;
        }
        while (start < count && limbs[start] == 0) start++;
        for (int d = 0; d < 5; d++) {
            reversed[digits++] = base58_alphabet[remainder % 58];
            remainder /= 58;
        }
    }
    while (digits > 0 && reversed[digits - 1] == '1') digits--;
    Py_ssize_t n = 0;
    for (Py_ssize_t i = 0; i < zeros; i++) out[n++] = '1';
    while (digits > 0) out[n++] = reversed[--digits];
    return n;
}

/* Is value i of `a` null (its validity bit clear)? */
static int is_null(const struct ArrowArray *a, int64_t i) {
    const uint8_t *validity = a->buffers[0];
    int64_t at = a->offset + i;
    return a->null_count != 0 && validity && !(validity[at / 8] >> (at % 8) & 1);
}

/* A value of a string view array: its bytes, or NULL for a null. */
static const char *view_or_null(const struct ArrowArray *a, int64_t i, size_t *length) {
    return is_null(a, i) ? NULL : view_key(a, i, length);
}

static int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* base58check_hex(stream, prefix): every value of a stream of 40-hex-digit strings (20 address bytes) as
 * base58check of the prefix byte and those bytes, as an Arrow utf-8 array (a (schema, array) capsule pair),
 * nulls kept. Each distinct address is encoded once. Anything but 40 hex digits (or a view outside its buffers)
 * is refused with ValueError before any is encoded. */
typedef struct {
    unsigned char key[20];
    int32_t offset, length; /* in the output data */
} spelled;

static void release_utf8_array(struct ArrowArray *array) {
    free(array->private_data); /* one block: buffers' pointers, validity, offsets, data */
    array->release = NULL;
}

static PyObject *py_base58check_hex(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *stream_capsule;
    int prefix;
    if (!PyArg_ParseTuple(args, "Oi", &stream_capsule, &prefix)) return NULL;
    if (prefix < 0 || prefix > 255) {
        PyErr_SetString(PyExc_ValueError, "base58check_hex: the prefix is one byte");
        return NULL;
    }
    struct ArrowArrayStream *stream = stream_of(stream_capsule);
    if (!stream) return NULL;
    chunks c = {0};
    const char *refused = collect_stream(stream, &c);
    int64_t rows = 0, nulls = 0;
    for (size_t k = 0; !refused && k < c.count; k++) {
        const struct ArrowArray *a = &c.arrays[k];
        for (int64_t i = 0; i < a->length && !refused; i++) {
            if (is_null(a, i)) { /* a null's view need not point anywhere */
                nulls++;
                continue;
            }
            refused = check_view(a, i);
            if (refused) break;
            size_t length;
            const char *value = view_key(a, i, &length);
            if (length != 40) refused = "an address is 40 hex digits";
            for (size_t d = 0; d < length && !refused; d++)
                if (hex_value(value[d]) < 0) refused = "an address is 40 hex digits";
        }
        rows += a->length;
    }
    if (!refused && rows > INT32_MAX / 35) refused = "too many addresses for one array";
    if (refused) {
        chunks_free(&c);
        PyErr_SetString(PyExc_ValueError, refused);
        return NULL;
    }
    /* One block: the buffer pointers, the validity bitmap, the offsets, the data (34 characters for a 21-byte
     * payload with a non-zero first byte, at most 35 here). */
    size_t bitmap = (size_t)(rows + 7) / 8, offsets = (size_t)(rows + 1) * 4, data = (size_t)rows * 35 + 1;
    size_t head = 3 * sizeof(void *);
    char *block = malloc(head + bitmap + offsets + data);
    size_t slots = 64;
    while (slots < (size_t)rows * 2) slots *= 2;
    int32_t *table = calloc(slots, sizeof *table); /* distinct index + 1; 0: empty */
    spelled *distinct = malloc(((size_t)rows + 1) * sizeof *distinct);
    struct ArrowSchema *schema = malloc(sizeof *schema);
    struct ArrowArray *array = malloc(sizeof *array);
    if (!block || !table || !distinct || !schema || !array) {
        chunks_free(&c), free(block), free(table), free(distinct), free(schema), free(array);
        return PyErr_NoMemory();
    }
    const void **buffers = (const void **)block;
    uint8_t *validity = (uint8_t *)(block + head);
    int32_t *out_offsets = (int32_t *)(block + head + bitmap);
    char *out = block + head + bitmap + offsets;
    memset(validity, 0xff, bitmap);
    Py_BEGIN_ALLOW_THREADS
    int32_t used = 0, found = 0;
    int64_t row = 0;
    unsigned char whole[25], first[32], second[32];
    whole[0] = (unsigned char)prefix;
    for (size_t k = 0; k < c.count; k++) {
        const struct ArrowArray *a = &c.arrays[k];
        for (int64_t i = 0; i < a->length; i++, row++) {
            out_offsets[row] = used;
            size_t length;
            const char *value = view_or_null(a, i, &length);
            if (!value) {
                validity[row / 8] &= (uint8_t)~(1u << (row % 8));
                continue;
            }
            unsigned char key[20];
            for (int b = 0; b < 20; b++) key[b] = (unsigned char)(hex_value(value[2 * b]) << 4 | hex_value(value[2 * b + 1]));
            uint64_t h = hash_key((const char *)key, 20);
            size_t slot = h & (slots - 1);
            while (table[slot] && memcmp(distinct[table[slot] - 1].key, key, 20) != 0) slot = (slot + 1) & (slots - 1);
            if (!table[slot]) {
                spelled *fresh = &distinct[found];
                memcpy(whole + 1, key, 20);
                sha256(whole, 21, first);
                sha256(first, 32, second);
                memcpy(whole + 21, second, 4);
                memcpy(fresh->key, key, 20);
                fresh->offset = used;
                fresh->length = (int32_t)base58_one(whole, 25, out + used);
                table[slot] = ++found;
                used += fresh->length;
            } else {
                const spelled *known = &distinct[table[slot] - 1];
                memcpy(out + used, out + known->offset, (size_t)known->length);
                used += known->length;
            }
        }
    }
    out_offsets[row] = used;
    Py_END_ALLOW_THREADS
    chunks_free(&c);
    free(table);
    free(distinct);
    buffers[0] = nulls ? validity : NULL, buffers[1] = out_offsets, buffers[2] = out;
    *schema = (struct ArrowSchema){.format = "u", .name = "", .flags = ARROW_FLAG_NULLABLE, .release = release_static_schema};
    *array = (struct ArrowArray){.length = rows, .null_count = nulls, .n_buffers = 3, .buffers = buffers,
                                 .release = release_utf8_array, .private_data = block};
    return capsule_pair(schema, array);
}

static PyMethodDef methods[] = {
    {"book", py_book, METH_NOARGS, "A new, empty address book."},
    {"size", py_size, METH_VARARGS, "How many keys the book holds."},
    {"add", py_add, METH_VARARGS, "Add the keys of an Arrow string stream with ids first_id, first_id + 1, ...; none may be held."},
    {"intern", py_intern, METH_VARARGS, "The id of every key of an Arrow string stream, new ones numbered from next_id: (ids, new positions)."},
    {"base58check_hex", py_base58check_hex, METH_VARARGS, "Each 40-hex-digit address of an Arrow string stream, after a prefix byte, in base58check (an Arrow utf-8 array)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, .m_name = "_addressbook", .m_size = -1, .m_methods = methods};

PyMODINIT_FUNC PyInit__addressbook(void) {
    sha256_constants();
    choose_sha256_block();
    return PyModule_Create(&module);
}
