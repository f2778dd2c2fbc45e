/*
 * tokenmeter ingest and tokenmeter db (src/cli/cmd_ledger.c).
 */
#ifndef TM_CLI_CMD_LEDGER_H
#define TM_CLI_CMD_LEDGER_H

int cmd_ingest(int argc, char **argv);
int cmd_db(int argc, char **argv);

#endif
