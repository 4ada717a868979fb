/* One pass over an eth_getLogs response body: validated event columns, or nothing.
 *
 * `scan(body, token, from_block, to_block, layout)` reads the JSON-RPC envelope and every log in native code
 * and returns the columns decode.classify_logs would produce for a body whose every log is a well-formed event
 * of the token's layout, as an Arrow C data interface pair (schema capsule, array capsule) that polars imports,
 * with the number of rows: ((schema, array), rows), so a caller knows the count before it loads polars.
 * It returns None for anything else: an error envelope, an escape in a string, capitals in a hex field, a log
 * of another shape or outside the range, a missing field, an amount over DECIMAL(38,0). The polars path then
 * reads that body and decides, with its exact error lines; this scanner never writes an error of its own, so
 * the two paths cannot disagree about what is refused.
 *
 * The layout comes from tokens.py, packed by native.py (EVENT_RECORD bytes an event, see there).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../arrow_c.h"

#define MAX_EVENTS 8
#define MAX_TOPICS 4
#define NO_FIELD 255
#define DATA_WORD 16 /* a role's position >= DATA_WORD is data word (position - DATA_WORD), else a topic */
#define EVENT_RECORD 110
#define KIND_BYTES 32
#define MAX_DEPTH 64
#define MAX_ROWS 16000000 /* Arrow's int32 offsets hold 66 bytes a row up to here; a larger answer (10 GB of JSON)
                           * is left to the polars path */

enum { ROLE_FROM, ROLE_TO, ROLE_AMOUNT, ROLE_WALLET, ROLE_SUCCESSOR, ROLES };
enum { HEX40_FROM, HEX40_TO, HEX40_WALLET, HEX40_SUCCESSOR, HEX40_COLUMNS };
static const int hex40_role[HEX40_COLUMNS] = {ROLE_FROM, ROLE_TO, ROLE_WALLET, ROLE_SUCCESSOR};

typedef struct {
    char topic0[66];
    int topic_count;
    int data_words;
    unsigned char role[ROLES];
    int address_count;
    unsigned char address_at[4];
    char kind[KIND_BYTES + 1];
    int kind_len;
} event_spec;

typedef struct {
    const char *s;
    size_t n;
} slice;

/* -------------------------------------------------------------------------------------------- columns */

typedef struct {
    int64_t cap, n;
    int64_t *block_number;
    int64_t *log_index;
    char *block_hash; /* 66 bytes a row */
    char *tx_hash;    /* 66 bytes a row */
    int32_t *kind_offsets;
    char *kind_data;
    int64_t kind_bytes, kind_cap;
    char *hex40[HEX40_COLUMNS]; /* 40 bytes a present row */
    int32_t *hex40_offsets[HEX40_COLUMNS];
    uint8_t *hex40_valid[HEX40_COLUMNS];
    int64_t hex40_nulls[HEX40_COLUMNS];
    unsigned __int128 *amount;
    uint8_t *amount_valid;
    int64_t amount_nulls;
} columns;

static void columns_free(columns *c) {
    free(c->block_number);
    free(c->log_index);
    free(c->block_hash);
    free(c->tx_hash);
    free(c->kind_offsets);
    free(c->kind_data);
    for (int i = 0; i < HEX40_COLUMNS; i++) {
        free(c->hex40[i]);
        free(c->hex40_offsets[i]);
        free(c->hex40_valid[i]);
    }
    free(c->amount);
    free(c->amount_valid);
    memset(c, 0, sizeof *c);
}

static int grow(void **p, size_t bytes) {
    void *q = realloc(*p, bytes ? bytes : 1);
    if (!q) return 0;
    *p = q;
    return 1;
}

/* Room for `cap` rows; validity bitmaps are zeroed as they grow (a row sets its bit when present). */
static int columns_reserve(columns *c, int64_t cap) {
    if (cap <= c->cap) return 1;
    size_t old_bits = (size_t)(c->cap + 7) / 8, bits = (size_t)(cap + 7) / 8;
    int ok = grow((void **)&c->block_number, cap * 8) && grow((void **)&c->log_index, cap * 8)
             && grow((void **)&c->block_hash, cap * 66) && grow((void **)&c->tx_hash, cap * 66)
             && grow((void **)&c->kind_offsets, (cap + 1) * 4) && grow((void **)&c->amount, cap * 16)
             && grow((void **)&c->amount_valid, bits);
    for (int i = 0; ok && i < HEX40_COLUMNS; i++)
        ok = grow((void **)&c->hex40[i], cap * 40) && grow((void **)&c->hex40_offsets[i], (cap + 1) * 4)
             && grow((void **)&c->hex40_valid[i], bits);
    if (!ok) return 0;
    memset(c->amount_valid + old_bits, 0, bits - old_bits);
    for (int i = 0; i < HEX40_COLUMNS; i++) memset(c->hex40_valid[i] + old_bits, 0, bits - old_bits);
    if (c->cap == 0) {
        c->kind_cap = 16 * cap;
        if (!grow((void **)&c->kind_data, (size_t)c->kind_cap)) return 0;
        c->kind_offsets[0] = 0;
        for (int i = 0; i < HEX40_COLUMNS; i++) c->hex40_offsets[i][0] = 0;
    }
    c->cap = cap;
    return 1;
}

/* ------------------------------------------------------------------------------------------ JSON scan */

static signed char hex_value[256];        /* a hex digit's value, -1 for any other byte */
static unsigned char not_lower_hex[256];   /* 0 for 0-9 and a-f, 1 for any other byte */

typedef struct {
    const char *p, *end;
} cursor;

static inline void skip_ws(cursor *c) {
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\n' || *c->p == '\r' || *c->p == '\t')) c->p++;
}

static inline int expect(cursor *c, char ch) {
    skip_ws(c);
    if (c->p < c->end && *c->p == ch) {
        c->p++;
        return 1;
    }
    return 0;
}

/* A string of printable ASCII without escapes (hex fields and the envelope's keys need nothing else; a body
 * with more goes to the polars path). */
static inline int read_plain_string(cursor *c, slice *out) {
    skip_ws(c);
    if (c->p >= c->end || *c->p != '"') return 0;
    const char *start = ++c->p;
    while (c->p < c->end && *c->p != '"') {
        unsigned char ch = (unsigned char)*c->p;
        if (ch < 0x20 || ch > 0x7e || ch == '\\') return 0;
        c->p++;
    }
    if (c->p >= c->end) return 0;
    out->s = start;
    out->n = (size_t)(c->p - start);
    c->p++;
    return 1;
}

/* A field's value: up to the next quote; the field's own rule (hex digits) then refuses anything else, an
 * escape included. */
static inline int read_value_string(cursor *c, slice *out) {
    skip_ws(c);
    if (c->p >= c->end || *c->p != '"') return 0;
    const char *start = ++c->p;
    const char *close = memchr(start, '"', (size_t)(c->end - start));
    if (!close) return 0;
    out->s = start;
    out->n = (size_t)(close - start);
    c->p = close + 1;
    return 1;
}

static inline int is_digit(const cursor *c) { return c->p < c->end && *c->p >= '0' && *c->p <= '9'; }

/* -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
static int skip_number(cursor *c) {
    if (c->p < c->end && *c->p == '-') c->p++;
    if (!is_digit(c)) return 0;
    if (*c->p++ != '0')
        while (is_digit(c)) c->p++;
    if (c->p < c->end && *c->p == '.') {
        c->p++;
        if (!is_digit(c)) return 0;
        while (is_digit(c)) c->p++;
    }
    if (c->p < c->end && (*c->p == 'e' || *c->p == 'E')) {
        c->p++;
        if (c->p < c->end && (*c->p == '+' || *c->p == '-')) c->p++;
        if (!is_digit(c)) return 0;
        while (is_digit(c)) c->p++;
    }
    return 1;
}

/* A string anywhere: printable ASCII and JSON's escapes. */
static int skip_string(cursor *c) {
    for (c->p++; c->p < c->end; c->p++) {
        unsigned char ch = (unsigned char)*c->p;
        if (ch == '"') {
            c->p++;
            return 1;
        }
        if (ch < 0x20 || ch > 0x7e) return 0;
        if (ch == '\\') {
            if (++c->p >= c->end) return 0;
            ch = (unsigned char)*c->p;
            if (ch == 'u') {
                if (c->end - c->p < 5) return 0;
                for (int i = 1; i <= 4; i++)
                    if (hex_value[(unsigned char)c->p[i]] < 0) return 0;
                c->p += 4;
            } else if (!strchr("\"\\/bfnrt", ch) || ch == 0) {
                return 0;
            }
        }
    }
    return 0;
}

static inline int literal(cursor *c, const char *word);

static int skip_value(cursor *c, int depth) {
    skip_ws(c);
    if (c->p >= c->end || depth > MAX_DEPTH) return 0;
    char ch = *c->p;
    if (ch == '"') return skip_string(c);
    if (ch == '{' || ch == '[') {
        char close = ch == '{' ? '}' : ']';
        c->p++;
        if (expect(c, close)) return 1;
        do {
            if (ch == '{') { /* the key */
                skip_ws(c);
                if (c->p >= c->end || *c->p != '"' || !skip_string(c) || !expect(c, ':')) return 0;
            }
            if (!skip_value(c, depth + 1)) return 0;
        } while (expect(c, ','));
        return expect(c, close);
    }
    if (ch == 't') return literal(c, "true");
    if (ch == 'f') return literal(c, "false");
    if (ch == 'n') return literal(c, "null");
    return skip_number(c);
}

static inline int literal(cursor *c, const char *word) {
    size_t n = strlen(word);
    skip_ws(c);
    if ((size_t)(c->end - c->p) >= n && memcmp(c->p, word, n) == 0) {
        c->p += n;
        return 1;
    }
    return 0;
}

static inline int key_is(slice key, const char *name) {
    size_t n = strlen(name);
    return key.n == n && memcmp(key.s, name, n) == 0;
}

/* ------------------------------------------------------------------------------------------ hex rules */

static inline int lower_hex(const char *s, size_t n) {
    unsigned char bad = 0;
    for (size_t i = 0; i < n; i++) bad |= not_lower_hex[(unsigned char)s[i]];
    return !bad;
}

/* ^0x[0-9a-f]{64}$ */
static inline int hex32(slice v) {
    return v.n == 66 && v.s[0] == '0' && v.s[1] == 'x' && lower_hex(v.s + 2, 64);
}

/* ^0x(0|[1-9a-f][0-9a-f]*)$ with at most `max_digits` digits */
static inline int quantity(slice v, size_t max_digits, uint64_t *out) {
    if (v.n < 3 || v.s[0] != '0' || v.s[1] != 'x' || v.n - 2 > max_digits) return 0;
    if (v.s[2] == '0' && v.n != 3) return 0;
    if (!lower_hex(v.s + 2, v.n - 2)) return 0;
    uint64_t value = 0;
    for (size_t i = 2; i < v.n; i++) value = value * 16 + (uint64_t)hex_value[(unsigned char)v.s[i]];
    *out = value;
    return 1;
}

static unsigned __int128 max_amount; /* 10^38 - 1: the largest raw amount DECIMAL(38,0) holds */

/* ------------------------------------------------------------------------------------------- one log */

typedef struct {
    slice address, block_hash, block_number, tx_hash, log_index, data;
    slice topics[MAX_TOPICS];
    int topic_count;
    unsigned seen;
} raw_log;

enum { SEEN_ADDRESS = 1, SEEN_BLOCK_HASH = 2, SEEN_BLOCK_NUMBER = 4, SEEN_TX_HASH = 8, SEEN_LOG_INDEX = 16,
       SEEN_DATA = 32, SEEN_TOPICS = 64, SEEN_REMOVED = 128, SEEN_ALL = 127 };

static int read_log(cursor *c, raw_log *log) {
    memset(log, 0, sizeof *log);
    if (!expect(c, '{')) return 0;
    if (expect(c, '}')) return 0;
    do {
        slice key;
        if (!read_plain_string(c, &key) || !expect(c, ':')) return 0;
        unsigned bit = 0;
        slice *target = NULL;
        if (key_is(key, "address")) bit = SEEN_ADDRESS, target = &log->address;
        else if (key_is(key, "blockHash")) bit = SEEN_BLOCK_HASH, target = &log->block_hash;
        else if (key_is(key, "blockNumber")) bit = SEEN_BLOCK_NUMBER, target = &log->block_number;
        else if (key_is(key, "transactionHash")) bit = SEEN_TX_HASH, target = &log->tx_hash;
        else if (key_is(key, "logIndex")) bit = SEEN_LOG_INDEX, target = &log->log_index;
        else if (key_is(key, "data")) bit = SEEN_DATA, target = &log->data;
        else if (key_is(key, "topics")) bit = SEEN_TOPICS;
        else if (key_is(key, "removed")) bit = SEEN_REMOVED;
        if (bit & log->seen) return 0; /* a key given twice: left to the polars path */
        log->seen |= bit;
        if (target) {
            if (!read_value_string(c, target)) return 0;
        } else if (bit == SEEN_TOPICS) {
            if (!expect(c, '[')) return 0;
            if (!expect(c, ']')) {
                do {
                    if (log->topic_count == MAX_TOPICS) return 0;
                    if (!read_value_string(c, &log->topics[log->topic_count++])) return 0;
                } while (expect(c, ','));
                if (!expect(c, ']')) return 0;
            }
        } else if (bit == SEEN_REMOVED) {
            /* only a log the node does not mark removed is an event to store */
            if (!literal(c, "false") && !literal(c, "null")) return 0;
        } else if (!skip_value(c, 1)) {
            return 0;
        }
    } while (expect(c, ','));
    return expect(c, '}') && (log->seen & SEEN_ALL) == SEEN_ALL;
}

/* 64 hex digits of the word at a role's position (topic i, or data word w). */
static inline const char *word_at(const raw_log *log, unsigned char position) {
    if (position >= DATA_WORD) return log->data.s + 2 + 64 * (size_t)(position - DATA_WORD);
    return log->topics[position].s + 2;
}

static int accept_log(const raw_log *log, const char *token, int64_t from_block, int64_t to_block,
                      const event_spec *events, int event_count, columns *c) {
    if (log->address.n != 42) return 0;
    for (int i = 0; i < 42; i++) {
        char ch = log->address.s[i];
        if (ch >= 'A' && ch <= 'Z') ch = (char)(ch - 'A' + 'a');
        if (ch != token[i]) return 0;
    }
    uint64_t block, index;
    if (!quantity(log->block_number, 15, &block) || (int64_t)block < from_block || (int64_t)block > to_block)
        return 0;
    if (!hex32(log->block_hash) || !hex32(log->tx_hash)) return 0;
    if (!quantity(log->log_index, 8, &index) || index > INT32_MAX) return 0;
    if (log->topic_count < 1 || log->topics[0].n != 66) return 0;
    const event_spec *event = NULL;
    for (int e = 0; e < event_count; e++)
        if (memcmp(log->topics[0].s, events[e].topic0, 66) == 0) {
            event = &events[e];
            break;
        }
    if (!event || log->topic_count != event->topic_count) return 0;
    for (int t = 1; t < log->topic_count; t++)
        if (!hex32(log->topics[t])) return 0;
    const slice data = log->data;
    if (data.n != 2 + 64 * (size_t)event->data_words || data.s[0] != '0' || data.s[1] != 'x'
        || !lower_hex(data.s + 2, data.n - 2))
        return 0;
    for (int a = 0; a < event->address_count; a++)
        if (memcmp(word_at(log, event->address_at[a]), "000000000000000000000000", 24) != 0) return 0;
    int64_t row = c->n;
    if (event->role[ROLE_AMOUNT] != NO_FIELD) {
        const char *word = word_at(log, event->role[ROLE_AMOUNT]);
        if (memcmp(word, "00000000000000000000000000000000", 32) != 0) return 0;
        unsigned __int128 amount = 0;
        for (int i = 32; i < 64; i++) amount = amount * 16 + (unsigned)hex_value[(unsigned char)word[i]];
        if (amount > max_amount) return 0;
        c->amount[row] = amount;
        c->amount_valid[row / 8] |= (uint8_t)(1u << (row % 8));
    } else {
        c->amount[row] = 0;
        c->amount_nulls++;
    }
    c->block_number[row] = (int64_t)block;
    c->log_index[row] = (int64_t)index;
    memcpy(c->block_hash + 66 * row, log->block_hash.s, 66);
    memcpy(c->tx_hash + 66 * row, log->tx_hash.s, 66);
    if (c->kind_bytes + event->kind_len > c->kind_cap) {
        int64_t cap = (c->kind_cap + event->kind_len) * 2;
        if (!grow((void **)&c->kind_data, (size_t)cap)) return 0;
        c->kind_cap = cap;
    }
    memcpy(c->kind_data + c->kind_bytes, event->kind, (size_t)event->kind_len);
    c->kind_bytes += event->kind_len;
    c->kind_offsets[row + 1] = (int32_t)c->kind_bytes;
    for (int h = 0; h < HEX40_COLUMNS; h++) {
        unsigned char position = event->role[hex40_role[h]];
        int32_t at = c->hex40_offsets[h][row];
        if (position != NO_FIELD) {
            memcpy(c->hex40[h] + at, word_at(log, position) + 24, 40);
            at += 40;
            c->hex40_valid[h][row / 8] |= (uint8_t)(1u << (row % 8));
        } else {
            c->hex40_nulls[h]++;
        }
        c->hex40_offsets[h][row + 1] = at;
    }
    c->n++;
    return 1;
}

/* The envelope {"jsonrpc", "id", "result": [logs]} with no error; 1 when every log was accepted. */
static int scan_body(const char *body, size_t length, const char *token, int64_t from_block, int64_t to_block,
                     const event_spec *events, int event_count, columns *c) {
    cursor cur = {body, body + length};
    int have_result = 0;
    if (!expect(&cur, '{') || expect(&cur, '}')) return 0;
    do {
        slice key;
        if (!read_plain_string(&cur, &key) || !expect(&cur, ':')) return 0;
        if (key_is(key, "result")) {
            if (have_result++ || !expect(&cur, '[')) return 0;
            if (expect(&cur, ']')) continue;
            do {
                raw_log log;
                if (c->n == MAX_ROWS || (c->n == c->cap && !columns_reserve(c, c->cap * 2 + 64))) return 0;
                if (!read_log(&cur, &log)) return 0;
                if (!accept_log(&log, token, from_block, to_block, events, event_count, c)) return 0;
            } while (expect(&cur, ','));
            if (!expect(&cur, ']')) return 0;
        } else if (key_is(key, "error")) {
            if (!literal(&cur, "null")) return 0;
        } else if (!skip_value(&cur, 1)) {
            return 0;
        }
    } while (expect(&cur, ','));
    if (!expect(&cur, '}')) return 0;
    skip_ws(&cur);
    return have_result && cur.p == cur.end;
}

/* ---------------------------------------------------------------------------------- Arrow export */

#define COLUMN_COUNT 10
static const char *const column_names[COLUMN_COUNT] = {
    "block_number", "block_hash", "tx_hash", "log_index", "kind",
    "from_hex40", "to_hex40", "wallet_hex40", "successor_hex40", "amount_raw"};
static const char *const column_formats[COLUMN_COUNT] = {"l", "u", "u", "l", "u", "u", "u", "u", "u", "d:38,0"};

typedef struct {
    struct ArrowSchema parent;
    struct ArrowSchema child[COLUMN_COUNT];
    struct ArrowSchema *child_pointers[COLUMN_COUNT];
} schema_block;

static void release_schema_child(struct ArrowSchema *schema) { schema->release = NULL; }

static void release_schema(struct ArrowSchema *schema) {
    for (int64_t i = 0; i < schema->n_children; i++)
        if (schema->children[i]->release) schema->children[i]->release(schema->children[i]);
    free(schema->private_data);
    schema->release = NULL;
}

/* Every array of one answer shares one block, freed when the last of them is released (a consumer may
 * keep a child alive after the parent). */
typedef struct {
    int references;
    columns data;
    int32_t *fixed66_offsets; /* 0, 66, 132, ... shared by block_hash and tx_hash */
    struct ArrowArray parent;
    struct ArrowArray child[COLUMN_COUNT];
    struct ArrowArray *child_pointers[COLUMN_COUNT];
    const void *parent_buffers[1];
    const void *child_buffers[COLUMN_COUNT][3];
} array_block;

static void release_array(struct ArrowArray *array) {
    array_block *block = array->private_data;
    for (int64_t i = 0; i < array->n_children; i++) /* those the consumer did not move out */
        if (array->children[i]->release) array->children[i]->release(array->children[i]);
    array->release = NULL;
    if (--block->references == 0) {
        columns_free(&block->data);
        free(block->fixed66_offsets);
        free(block);
    }
}

static PyObject *export_columns(columns *data) {
    int64_t n = data->n;
    schema_block *schemas = calloc(1, sizeof *schemas);
    array_block *arrays = calloc(1, sizeof *arrays);
    struct ArrowSchema *schema_out = malloc(sizeof *schema_out);
    struct ArrowArray *array_out = malloc(sizeof *array_out);
    int32_t *offsets66 = malloc((size_t)(n + 1) * 4);
    if (!schemas || !arrays || !schema_out || !array_out || !offsets66) {
        free(schemas), free(arrays), free(schema_out), free(array_out), free(offsets66);
        columns_free(data);
        return PyErr_NoMemory();
    }
    for (int64_t i = 0; i <= n; i++) offsets66[i] = (int32_t)(66 * i);
    arrays->data = *data;
    memset(data, 0, sizeof *data);
    arrays->fixed66_offsets = offsets66;
    columns *c = &arrays->data;

    for (int i = 0; i < COLUMN_COUNT; i++) {
        schemas->child[i] = (struct ArrowSchema){.format = column_formats[i], .name = column_names[i],
                                                 .flags = ARROW_FLAG_NULLABLE, .release = release_schema_child};
        schemas->child_pointers[i] = &schemas->child[i];
    }
    schemas->parent = (struct ArrowSchema){.format = "+s", .name = "", .n_children = COLUMN_COUNT,
                                           .children = schemas->child_pointers, .release = release_schema,
                                           .private_data = schemas};

    const void *(*buffers)[3] = arrays->child_buffers;
    int64_t nulls[COLUMN_COUNT] = {0};
    buffers[0][1] = c->block_number;
    buffers[1][1] = offsets66, buffers[1][2] = c->block_hash;
    buffers[2][1] = offsets66, buffers[2][2] = c->tx_hash;
    buffers[3][1] = c->log_index;
    buffers[4][1] = c->kind_offsets, buffers[4][2] = c->kind_data;
    for (int h = 0; h < HEX40_COLUMNS; h++) {
        buffers[5 + h][0] = c->hex40_nulls[h] ? c->hex40_valid[h] : NULL;
        buffers[5 + h][1] = c->hex40_offsets[h], buffers[5 + h][2] = c->hex40[h];
        nulls[5 + h] = c->hex40_nulls[h];
    }
    buffers[9][0] = c->amount_nulls ? c->amount_valid : NULL;
    buffers[9][1] = c->amount;
    nulls[9] = c->amount_nulls;
    for (int i = 0; i < COLUMN_COUNT; i++) {
        int fixed = column_formats[i][0] == 'l' || column_formats[i][0] == 'd';
        arrays->child[i] = (struct ArrowArray){.length = n, .null_count = nulls[i], .n_buffers = fixed ? 2 : 3,
                                               .buffers = buffers[i], .release = release_array,
                                               .private_data = arrays};
        arrays->child_pointers[i] = &arrays->child[i];
    }
    arrays->parent = (struct ArrowArray){.length = n, .n_buffers = 1, .n_children = COLUMN_COUNT,
                                         .buffers = arrays->parent_buffers, .children = arrays->child_pointers,
                                         .release = release_array, .private_data = arrays};
    arrays->references = 1 + COLUMN_COUNT;

    /* The capsules own moved copies of the parents (a consumer moves them again and releases them). */
    *schema_out = schemas->parent;
    *array_out = arrays->parent;
    PyObject *pair = capsule_pair(schema_out, array_out);
    return pair ? Py_BuildValue("(NL)", pair, (long long)n) : NULL;
}

/* -------------------------------------------------------------------------------------- entry point */

/* A field's position within the event: a topic after topic0, or one of its data words. */
static int position_ok(const event_spec *ev, unsigned char position) {
    return position >= DATA_WORD ? position - DATA_WORD < ev->data_words : position >= 1 && position < ev->topic_count;
}

static int read_layout(const char *blob, Py_ssize_t length, event_spec *events, int *count) {
    if (length % EVENT_RECORD != 0 || length / EVENT_RECORD > MAX_EVENTS || length == 0) return 0;
    *count = (int)(length / EVENT_RECORD);
    for (int e = 0; e < *count; e++) {
        const unsigned char *r = (const unsigned char *)blob + e * EVENT_RECORD;
        event_spec *ev = &events[e];
        memcpy(ev->topic0, r, 66);
        ev->topic_count = r[66];
        ev->data_words = r[67];
        memcpy(ev->role, r + 68, ROLES);
        ev->address_count = r[73];
        memcpy(ev->address_at, r + 74, 4);
        memcpy(ev->kind, r + 78, KIND_BYTES);
        ev->kind[KIND_BYTES] = 0;
        ev->kind_len = (int)strlen(ev->kind);
        if (ev->topic_count < 1 || ev->topic_count > MAX_TOPICS || ev->address_count > 4) return 0;
        for (int role = 0; role < ROLES; role++)
            if (ev->role[role] != NO_FIELD && !position_ok(ev, ev->role[role])) return 0;
        for (int a = 0; a < ev->address_count; a++)
            if (!position_ok(ev, ev->address_at[a])) return 0;
    }
    return 1;
}

static PyObject *scan(PyObject *self, PyObject *args) {
    (void)self;
    Py_buffer body;
    const char *token, *layout;
    Py_ssize_t token_length, layout_length;
    long long from_block, to_block;
    if (!PyArg_ParseTuple(args, "y*y#LLy#", &body, &token, &token_length, &from_block, &to_block, &layout,
                          &layout_length))
        return NULL;
    event_spec events[MAX_EVENTS];
    int event_count;
    if (token_length != 42 || !read_layout(layout, layout_length, events, &event_count)) {
        PyBuffer_Release(&body);
        PyErr_SetString(PyExc_ValueError, "scan: a token is 0x and 40 hex digits; the layout is packed by native.py");
        return NULL;
    }
    columns c = {0};
    int accepted = 0;
    Py_BEGIN_ALLOW_THREADS
    accepted = columns_reserve(&c, (int64_t)(body.len / 500) + 64)
               && scan_body(body.buf, (size_t)body.len, token, from_block, to_block, events, event_count, &c);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&body);
    if (!accepted) {
        columns_free(&c);
        Py_RETURN_NONE;
    }
    return export_columns(&c);
}

static PyMethodDef methods[] = {
    {"scan", scan, METH_VARARGS,
     "scan(body, token, from_block, to_block, layout) -> (schema capsule, array capsule) or None"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, .m_name = "_logscan", .m_size = -1, .m_methods = methods};

PyMODINIT_FUNC PyInit__logscan(void) {
    const uint16_t probe = 1;
    if (*(const uint8_t *)&probe != 1) {
        PyErr_SetString(PyExc_ImportError, "_logscan writes Arrow buffers little-endian");
        return NULL;
    }
    memset(hex_value, -1, sizeof hex_value);
    for (int i = 0; i < 10; i++) hex_value['0' + i] = (signed char)i;
    for (int i = 0; i < 6; i++) hex_value['a' + i] = hex_value['A' + i] = (signed char)(10 + i);
    for (int i = 0; i < 256; i++) not_lower_hex[i] = hex_value[i] < 0 || (i >= 'A' && i <= 'F');
    max_amount = 1;
    for (int i = 0; i < 38; i++) max_amount *= 10;
    max_amount -= 1;
    return PyModule_Create(&module);
}
