/*
 * The price commands of the tokenmeter command line (src/cli/cmd_price.c):
 *   tokenmeter price   rate one usage record against the price book
 *   tokenmeter prices  list the book; `prices import` converts LiteLLM's
 *                      community price list into a book
 * Both return the exit status of cli.h (0, 1 runtime, 2 usage).
 */
#ifndef TM_CLI_CMD_PRICE_H
#define TM_CLI_CMD_PRICE_H

int cmd_price(int argc, char **argv);
int cmd_prices(int argc, char **argv);

#endif
