#include "sync/config/config_parser.hpp"

#include "sync/config/config_reader.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ctd::sync {

namespace {

// Top level: General, Sync, Stats and Helper blocks in any order and number (conntrackd's
// grammar is "lines: line | lines line"; repeated sections merge into one).
bool parseSections(ConfigReader& reader) {
    unsigned syncLine = 0;
    unsigned statsLine = 0;
    for (;;) {
        Token section = reader.lexer().next();
        if (section.kind == TokenKind::End)
            break;
        if (section.kind != TokenKind::Atom)
            return reader.fail(section.line, "unexpected " + describeToken(section) +
                                                 " at top level (expected General, Sync, "
                                                 "Stats or Helper)");
        bool ok = false;
        if (section.text == "General") {
            ok = parseGeneral(reader, section);
        } else if (section.text == "Sync" || section.text == "Stats") {
            bool isSync = section.text == "Sync";
            unsigned other = isSync ? statsLine : syncLine;
            if (other)
                // read_config_yy.y: "cannot use both `Stats' and `Sync' clauses"
                return reader.fail(section.line,
                                   std::string("cannot use both 'Stats' and 'Sync' sections ('") +
                                       (isSync ? "Stats" : "Sync") + "' at line " +
                                       std::to_string(other) + ")");
            (isSync ? syncLine : statsLine) = section.line;
            reader.config().role = isSync ? Role::Sync : Role::Stats;
            ok = isSync ? parseSync(reader, section) : parseStats(reader, section);
        } else if (section.text == "Helper") {
            ok = parseHelper(reader, section);
        } else {
            return reader.fail(section.line, "unknown section " + describeToken(section) +
                                                 " (expected General, Sync, Stats or Helper)");
        }
        if (!ok)
            return false;
    }
    if (syncLine && !validateSyncConfig(reader, syncLine))
        return false;
    return true;
}

} // namespace

std::string formatNotice(const Notice& notice) {
    return notice.file + ":" + std::to_string(notice.line) + ": " + notice.key + ": " +
           notice.message;
}

Result<SyncConfig> parseSyncConfig(std::string_view text, std::string fileName,
                                   std::vector<Notice>& notices) {
    ConfigReader reader(text, std::move(fileName));
    if (!parseSections(reader))
        return *reader.error();
    notices.insert(notices.end(), reader.notices().begin(), reader.notices().end());
    return std::move(reader.config());
}

Result<SyncConfig> loadSyncConfig(const std::string& path, std::vector<Notice>& notices) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int err = errno;
        return makeError(err, path + ": " + std::strerror(err));
    }
    struct stat st {};
    if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        ::close(fd);
        return makeError(EISDIR, path + ": " + std::strerror(EISDIR));
    }
    std::string text;
    char buffer[65536];
    for (;;) {
        ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int err = errno;
            ::close(fd);
            return makeError(err, path + ": " + std::strerror(err));
        }
        if (n == 0)
            break;
        text.append(buffer, static_cast<size_t>(n));
        if (text.size() > maxConfigFileSize) {
            ::close(fd);
            return makeError(EFBIG, path + ": larger than " + std::to_string(maxConfigFileSize) +
                                        " bytes, not a conntrackd.conf");
        }
    }
    ::close(fd);
    return parseSyncConfig(text, path, notices);
}

} // namespace ctd::sync
