// format-bench [N] [spec]: formats N entries (default 1M) into a TextBuffer flushed to
// /dev/null and prints the time per format. format-bench N parse-save: parses N save
// lines (conntrack -R's input; the first N lines of FILE
// with format-bench N parse-save FILE, again from the top if it has fewer) and prints the
// time per line.
#include "builders.hpp"
#include "format/formatter.hpp"
#include "format/save_parser.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>
#include <fcntl.h>
#include <unistd.h>

using namespace ctd;

int main(int argc, char** argv)
{
    const long n = argc > 1 ? std::atol(argv[1]) : 1000000;
    const std::vector<Entry> entries = test::throughputEntries(4096);
    if (argc > 2 && std::string_view(argv[2]) == "parse-save") {
        std::vector<std::string> lines;
        if (argc > 3) {
            std::FILE* f = std::fopen(argv[3], "r");
            char buf[16384];
            while (f && lines.size() < static_cast<size_t>(n) && std::fgets(buf, sizeof buf, f)) {
                std::string line = buf;
                if (!line.empty() && line.back() == '\n')
                    line.pop_back();
                lines.push_back(std::move(line));
            }
            if (f)
                std::fclose(f);
        }
        for (const Entry& e : entries) {
            if (argc > 3)
                break;
            std::string line = formatEntry(e, *parseFormatSpec("save"));
            line.pop_back();
            lines.push_back(std::move(line));
        }
        size_t ok = 0;
        const auto start = std::chrono::steady_clock::now();
        for (long i = 0; i < n; ++i) {
            auto r = parseSaveLine(lines[static_cast<size_t>(i) % lines.size()]);
            ok += r.ok() && r->has_value();
        }
        const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        std::printf("parse-save   %ld lines (%zu parsed), %.3f s (%.0f ns/line)\n", n, ok, s,
                    s * 1e9 / static_cast<double>(n));
        return ok == static_cast<size_t>(n) ? 0 : 1;
    }
    const int fd = open("/dev/null", O_WRONLY);
    const char* specs[] = {"", "extended,id", "xml", "save", "json"};
    for (const char* spec : specs) {
        if (argc > 2 && std::string_view(argv[2]) != spec)
            continue;
        TextBuffer out;
        Formatter fmt(*parseFormatSpec(spec), Command::List, out);
        size_t bytes = 0;
        const auto start = std::chrono::steady_clock::now();
        fmt.begin();
        for (long i = 0; i < n; ++i) {
            fmt.entry(entries[static_cast<size_t>(i) & 4095]);
            if (out.wantsFlush()) {
                bytes += out.size();
                (void)out.flushTo(fd);
            }
        }
        fmt.end();
        bytes += out.size();
        (void)out.flushTo(fd);
        const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        std::printf("%-12s %ld entries, %zu MB, %.3f s (%.0f ns/entry)\n", *spec ? spec : "default", n,
                    bytes >> 20, s, s * 1e9 / static_cast<double>(n));
    }
    close(fd);
    return 0;
}
