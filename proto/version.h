/* version.h: the release and protocol versions, shared by daemon and client. */
#ifndef ANNALS_VERSION_H
#define ANNALS_VERSION_H

#define ANNALS_VERSION "0.1.0"
#define ANNALS_PROTOCOL 1

#endif
