#ifndef JOBFORGE_CLIBXML2_SHIM_H
#define JOBFORGE_CLIBXML2_SHIM_H
// libxml2 built with ICU pulls the system's <unicode/*.h> into this module, which then clashes
// with Foundation's own copy of ICU (`UErrorCode` defined twice, differently). JobForge never
// touches libxml2's encoding handlers (the only structs that embed ICU types), so the ICU parts
// of the headers are switched off here; the library itself is unchanged.
#include <libxml/xmlversion.h>
#undef LIBXML_ICU_ENABLED
#include <libxml/HTMLparser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>
#include <libxml/xmlreader.h>

// libxml2's xmlFree is a global function pointer, which Swift 6 rejects as
// shared mutable state; this wrapper is what Swift code calls instead.
static inline void jf_xmlFree(void *pointer) { xmlFree(pointer); }
#endif
