/* version.h - callsight's version and the protocol version of its NDJSON records. */
#ifndef CALLSIGHT_VERSION_H
#define CALLSIGHT_VERSION_H
#define CALLSIGHT_VERSION	"0.1.0"
#define CALLSIGHT_PROTOCOL	1
#endif
