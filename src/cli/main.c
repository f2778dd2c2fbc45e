/*
 * tokenmeter: the command-line entry point; dispatches git-style
 * subcommands (see usage()).
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cmd_ledger.h"
#include "cli/cmd_price.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: tokenmeter <command> [options]\n"
            "\n"
            "commands:\n"
            "  count   [-e ENCODING | -m MODEL | -t FILE] [--json] [--allow-special] [FILE...]\n"
            "          count tokens (stdin when no FILE; one line per input)\n"
            "  count --request [-m MODEL] [--api API] [--json] [FILE...]\n"
            "          the prompt tokens an API request body (JSON) is billed, with a\n"
            "          breakdown; API: chat, responses, completions, embeddings,\n"
            "          anthropic (default: from the body and the model)\n"
            "  encode  [-e ENCODING | -m MODEL | -t FILE] [--allow-special] [FILE]\n"
            "          print token ids\n"
            "  decode  [-e ENCODING | -m MODEL | -t FILE] [FILE]\n"
            "          read whitespace-separated ids, write the bytes they stand for\n"
            "  models  [--json] [--models FILE]\n"
            "          list the model registry (model patterns, tokenizers, limits)\n"
            "  price   -m MODEL [--provider P] --input N [--output N] [--cached N]\n"
            "          [--cache-write N] [--cache-write-1h N] [--reasoning N] [--batch]\n"
            "          [--at TIME] [--prices FILE] [--overrides FILE] [--json]\n"
            "          rate one request against the price book (line items, total)\n"
            "  prices  [--provider P] [--at TIME] [--prices FILE] [--json]\n"
            "          list the price book in effect at a time\n"
            "  prices import FILE [-o OUT] [--date YYYY-MM-DD]\n"
            "          convert LiteLLM's model_prices_and_context_window.json to a book\n"
            "  compare [-m MODEL ...] [--provider P] [--request] [--output N] [--at DATE]\n"
            "          [--prices FILE] [--json] FILE\n"
            "          what the same text or request costs on each model, each counted\n"
            "          with its own tokenizer and priced with the price book\n"
            "  ingest  [--db PATH] [--prices FILE] [--overrides FILE] [--json] FILE.jsonl...\n"
            "          record usage events (one JSON object per line), rated on the way\n"
            "          in; bad lines are reported and skipped (docs/LEDGER.md)\n"
            "  db check [--db PATH]\n"
            "          verify that the ledger's rollups equal its events\n"
            "  vocab compile --base ENCODING [--name NAME] SRC.tiktoken OUT.tmv\n"
            "          compile a .tiktoken rank file into tokenmeter's format\n"
            "  encodings\n"
            "          list the built-in encodings\n"
            "\n"
            "Encodings: r50k_base p50k_base p50k_edit cl100k_base o200k_base\n"
            "o200k_harmony llama3 llama2 qwen3 deepseek_v3 gemma3 (default o200k_base). -t FILE opens a tokenizer file;\n"
            "--vocab FILE [--base E] opens a .tmv or .tiktoken file. Vocabularies are\n"
            "looked up in $TOKENMETER_VOCAB_DIR; `make vocab` fetches and compiles them.\n"
            "-m MODEL resolves through the model registry (data/models.json, or\n"
            "$TOKENMETER_MODELS, or --models FILE); counts for models without a public\n"
            "tokenizer are estimates.\n");
}

void cli_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "tokenmeter %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int main(int argc, char **argv)
{
    const char *cmd;

    if (argc < 2) {
        usage(stderr);
        return CLI_USAGE;
    }
    cmd = argv[1];
    if (strcmp(cmd, "count") == 0)
        return cmd_count(argc - 1, argv + 1);
    if (strcmp(cmd, "encode") == 0)
        return cmd_encode(argc - 1, argv + 1);
    if (strcmp(cmd, "decode") == 0)
        return cmd_decode(argc - 1, argv + 1);
    if (strcmp(cmd, "vocab") == 0)
        return cmd_vocab(argc - 1, argv + 1);
    if (strcmp(cmd, "models") == 0)
        return cmd_models(argc - 1, argv + 1);
    if (strcmp(cmd, "price") == 0)
        return cmd_price(argc - 1, argv + 1);
    if (strcmp(cmd, "prices") == 0)
        return cmd_prices(argc - 1, argv + 1);
    if (strcmp(cmd, "compare") == 0)
        return cmd_compare(argc - 1, argv + 1);
    if (strcmp(cmd, "ingest") == 0)
        return cmd_ingest(argc - 1, argv + 1);
    if (strcmp(cmd, "db") == 0)
        return cmd_db(argc - 1, argv + 1);
    if (strcmp(cmd, "encodings") == 0) {
        for (int i = 0; tm_encoding_names[i]; i++)
            printf("%s\n", tm_encoding_names[i]);
        return CLI_OK;
    }
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 ||
        strcmp(cmd, "-h") == 0) {
        usage(stdout);
        return CLI_OK;
    }
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        printf("tokenmeter %s\n", TM_VERSION_STRING);
        return CLI_OK;
    }
    fprintf(stderr, "tokenmeter: unknown command '%s'\n", cmd);
    usage(stderr);
    return CLI_USAGE;
}
