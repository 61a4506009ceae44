// A coarse guard against performance regressions: 200k entries in every text format.
// The real measurement (1M entries) is format-bench.
#include "builders.hpp"
#include "format/formatter.hpp"

#include <chrono>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

using namespace ctd;

TEST(Throughput, TwoHundredThousandEntries)
{
    const std::vector<Entry> entries = test::throughputEntries(1000);
    const int devnull = open("/dev/null", O_WRONLY);
    ASSERT_GE(devnull, 0);
    for (const char* spec : {"", "extended,id", "xml", "save", "json"}) {
        TextBuffer out;
        Formatter fmt(*parseFormatSpec(spec), Command::List, out);
        const auto start = std::chrono::steady_clock::now();
        fmt.begin();
        for (int i = 0; i < 200000; ++i) {
            fmt.entry(entries[static_cast<size_t>(i) % entries.size()]);
            if (out.wantsFlush()) {
                ASSERT_TRUE(out.flushTo(devnull).ok());
            }
        }
        fmt.end();
        ASSERT_TRUE(out.flushTo(devnull).ok());
        const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        std::printf("%-12s 200000 entries in %.3f s\n", *spec ? spec : "default", s);
        // Generous so a loaded CI machine or a debug build passes; release does ~0.05 s.
        EXPECT_LT(s, 3.0) << spec;
    }
    close(devnull);
}
