// Hostile input: the parser must answer with an error (or a config), never crash, hang or
// read out of bounds. Run under ASan/UBSan in CI to make "never" mean something.
#include "config_test_util.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>

using namespace ctd::sync;
using namespace ctd::sync::test;

namespace {

std::string readFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// Either a config or an error that names the file and a line.
void expectAnswer(std::string_view text) {
    auto result = parseText(text);
    if (!result) {
        EXPECT_EQ(result.error().message.rfind("test.conf:", 0), 0u) << result.error().message;
        EXPECT_LT(result.error().message.size(), 400u);
    }
}

const char* const exampleFiles[] = {
    "examples/stats/conntrackd.conf",
    "examples/sync/ftfw/conntrackd.conf",
    "examples/sync/alarm/conntrackd.conf",
    "examples/sync/notrack/conntrackd.conf",
    "manpage/stats-example.conf",
    "manpage/sync-example-1.conf",
    "manpage/sync-example-2.conf",
    "full/ftfw-multicast.conf",
    "full/notrack-tcp.conf",
    "full/alarm-udp.conf",
    "debian/conntrackd.conf",
};

} // namespace

TEST(SyncConfigHostile, RandomBytes) {
    std::mt19937 rng(20240601);
    for (int i = 0; i < 3000; ++i) {
        std::string text(rng() % 600, '\0');
        for (auto& c : text)
            c = static_cast<char>(rng() & 0xff);
        expectAnswer(text);
    }
}

TEST(SyncConfigHostile, TokenSoup) {
    // Words of the grammar in random order: reaches deep into every block parser.
    static const char* const words[] = {
        "General",
        "Sync",
        "Stats",
        "Helper",
        "{",
        "}",
        "{",
        "}",
        "Mode",
        "FTFW",
        "ALARM",
        "NOTRACK",
        "Multicast",
        "UDP",
        "TCP",
        "Default",
        "Options",
        "Filter",
        "From",
        "Kernelspace",
        "Protocol",
        "Address",
        "State",
        "Accept",
        "Ignore",
        "IPv4_address",
        "IPv6_address",
        "IPv4_Destination_Address",
        "Port",
        "Group",
        "Interface",
        "eth0",
        "225.0.0.50",
        "10.0.0.1/8",
        "ff15::1",
        "fe80::1",
        "3780",
        "0",
        "99999999999",
        "on",
        "off",
        "yes",
        "/var/log/x",
        "ESTABLISHED",
        "for",
        "TCP",
        "Type",
        "ftp",
        "inet",
        "tcp",
        "Policy",
        "ExpectMax",
        "ExpectationSync",
        "Checksum",
        "#",
        "\n",
        "\0",
        "-1",
        "UNIX",
        "Path",
        "Scheduler",
        "Priority",
        "Nice",
        "LogFile",
        "Syslog",
        "local0",
        "HashSize",
        "PollSecs",
        "NetlinkOverrunResync",
        "CommitTimeout",
        "DisableExternalCache",
    };
    std::mt19937 rng(7);
    for (int i = 0; i < 5000; ++i) {
        std::string text;
        size_t n = rng() % 80;
        for (size_t j = 0; j < n; ++j) {
            const char* w = words[rng() % std::size(words)];
            text.append(w, w[0] ? std::strlen(w) : 1);
            text += (rng() % 4) ? ' ' : '\n';
        }
        expectAnswer(text);
    }
}

TEST(SyncConfigHostile, TruncatedExamples) {
    for (const char* file : exampleFiles) {
        std::string full = readFile(dataPath(file));
        ASSERT_FALSE(full.empty()) << file;
        EXPECT_TRUE(parseText(full).ok()) << file;
        // every cut of the small files, every 7th of the big commented ones
        size_t step = full.size() > 4096 ? 7 : 1;
        for (size_t cut = 0; cut < full.size(); cut += step)
            expectAnswer(std::string_view(full).substr(0, cut));
    }
}

TEST(SyncConfigHostile, BytesFlippedInExamples) {
    std::mt19937 rng(99);
    for (const char* file : exampleFiles) {
        std::string full = readFile(dataPath(file));
        for (int i = 0; i < 300; ++i) {
            std::string text = full;
            for (int k = 0; k < 3; ++k)
                text[rng() % text.size()] = static_cast<char>(rng() & 0xff);
            expectAnswer(text);
        }
    }
}

TEST(SyncConfigHostile, DeepNesting) {
    std::string braces(1000000, '{');
    EXPECT_EQ(errorOf(braces),
              "test.conf:1: unexpected '{' at top level (expected General, Sync, Stats or "
              "Helper)");
    std::string sections;
    for (int i = 0; i < 100000; ++i)
        sections += "Sync {\n";
    EXPECT_EQ(errorOf(sections), "test.conf:2: unknown key 'Sync' in Sync");
    EXPECT_EQ(errorOf("General { Filter { Protocol Accept { { { { } } } } } }"),
              "test.conf:1: unexpected '{' in General/Filter/Protocol");
}

TEST(SyncConfigHostile, HugeTokens) {
    std::string digits(100000, '9');
    EXPECT_EQ(errorOf("General { HashSize " + digits + " }"),
              "test.conf:1: 'HashSize' in General: '" + std::string(64, '9') +
                  "...' is out of range (0..2147483647)");
    std::string word(1000000, 'A');
    std::string message = errorOf("General { " + word + " 1 }");
    EXPECT_EQ(message, "test.conf:1: unknown key '" + std::string(64, 'A') + "...' in General");
    std::string path(1000001, 'p');
    path[0] = '/';
    EXPECT_EQ(errorOf("General { LockFile " + path + " }"),
              "test.conf:1: 'LockFile' in General: path is longer than 256 characters");
    std::string address(100000, ':');
    EXPECT_FALSE(errorOf("Sync { UDP { IPv6_address " + address + " } }").empty());
}

TEST(SyncConfigHostile, NulBytes) {
    // inside a comment a NUL is just a comment character, as for flex
    std::string inComment("General {\n # a \0 b\n HashSize 3\n}\n", 33);
    EXPECT_TRUE(parseText(inComment).ok());
    std::string inValue("General {\n HashSize 3\0"
                        "4\n}\n",
                        26);
    EXPECT_EQ(errorOf(inValue), "test.conf:2: unexpected '\\x00' in General");
    std::string only(4096, '\0');
    EXPECT_EQ(errorOf(only),
              "test.conf:1: unexpected '\\x00' at top level (expected General, Sync, Stats or "
              "Helper)");
}

TEST(SyncConfigHostile, ManyLinesAndManyKeys) {
    std::string text(200000, '\n');
    text += "General {\n";
    for (int i = 0; i < 20000; ++i)
        text += " HashSize " + std::to_string(i + 1) + "\n";
    text += "}\nBogus\n";
    EXPECT_EQ(errorOf(text), "test.conf:220003: unknown section 'Bogus' (expected General, "
                             "Sync, Stats or Helper)");
}

TEST(SyncConfigHostile, OversizedFileIsRefusedBeforeParsing) {
    char name[] = "/tmp/ctd-sync-config-XXXXXX";
    int fd = mkstemp(name);
    ASSERT_GE(fd, 0);
    std::string chunk(1 << 20, '#');
    for (int i = 0; i < 5; ++i)
        ASSERT_EQ(write(fd, chunk.data(), chunk.size()), static_cast<ssize_t>(chunk.size()));
    close(fd);
    std::vector<Notice> notices;
    auto result = loadSyncConfig(name, notices);
    unlink(name);
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, EFBIG);
}
