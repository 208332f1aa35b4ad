#ifndef JOBFORGE_CLIBXML2_SHIM_H
#define JOBFORGE_CLIBXML2_SHIM_H
#include <libxml/HTMLparser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

// libxml2's xmlFree is a global function pointer, which Swift 6 rejects as
// shared mutable state; this wrapper is what Swift code calls instead.
static inline void jf_xmlFree(void *pointer) { xmlFree(pointer); }
#endif
