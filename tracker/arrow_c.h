/* The Arrow C data and stream interfaces (arrow.apache.org/docs/format/CDataInterface.html and
 * CStreamInterface.html) as the compiled parts use them, and the destructors of the PyCapsules that carry an
 * exported schema and array (arrow.apache.org/docs/format/CDataInterface/PyCapsuleInterface.html: a capsule
 * releases what it holds unless a consumer moved it out). Included by _logscan.c and _addressbook.c. */
#ifndef TRACKER_ARROW_C_H
#define TRACKER_ARROW_C_H

#include <Python.h>
#include <stdint.h>
#include <stdlib.h>

struct ArrowSchema {
    const char *format;
    const char *name;
    const char *metadata;
    int64_t flags;
    int64_t n_children;
    struct ArrowSchema **children;
    struct ArrowSchema *dictionary;
    void (*release)(struct ArrowSchema *);
    void *private_data;
};

struct ArrowArray {
    int64_t length;
    int64_t null_count;
    int64_t offset;
    int64_t n_buffers;
    int64_t n_children;
    const void **buffers;
    struct ArrowArray **children;
    struct ArrowArray *dictionary;
    void (*release)(struct ArrowArray *);
    void *private_data;
};

struct ArrowArrayStream {
    int (*get_schema)(struct ArrowArrayStream *, struct ArrowSchema *out);
    int (*get_next)(struct ArrowArrayStream *, struct ArrowArray *out);
    const char *(*get_last_error)(struct ArrowArrayStream *);
    void (*release)(struct ArrowArrayStream *);
    void *private_data;
};

#define ARROW_FLAG_NULLABLE 2

static void schema_capsule_free(PyObject *capsule) {
    struct ArrowSchema *schema = PyCapsule_GetPointer(capsule, "arrow_schema");
    if (schema && schema->release) schema->release(schema);
    free(schema);
}

static void array_capsule_free(PyObject *capsule) {
    struct ArrowArray *array = PyCapsule_GetPointer(capsule, "arrow_array");
    if (array && array->release) array->release(array);
    free(array);
}

/* The (schema, array) capsule pair a consumer imports (`__arrow_c_array__`). Takes both structures: if a capsule
 * cannot be made, what is not yet in one is released and freed here. */
static PyObject *capsule_pair(struct ArrowSchema *schema, struct ArrowArray *array) {
    PyObject *schema_capsule = PyCapsule_New(schema, "arrow_schema", schema_capsule_free);
    if (!schema_capsule) {
        if (schema->release) schema->release(schema);
        free(schema);
    }
    PyObject *array_capsule = schema_capsule ? PyCapsule_New(array, "arrow_array", array_capsule_free) : NULL;
    if (!array_capsule) {
        Py_XDECREF(schema_capsule);
        if (array->release) array->release(array);
        free(array);
        return NULL;
    }
    return Py_BuildValue("(NN)", schema_capsule, array_capsule);
}

#endif
