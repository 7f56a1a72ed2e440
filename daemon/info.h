/* info.h: the hello, ping and stats handlers. */
#ifndef ANNALS_INFO_H
#define ANNALS_INFO_H

#include "daemon/rpc.h"

int info_hello(rpc_call *call);
int info_ping(rpc_call *call);
int info_stats(rpc_call *call);

#endif
