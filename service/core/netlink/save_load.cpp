#include "save_load.hpp"

#include "bulk_create.hpp"
#include "format/save_parser.hpp"

#include <cerrno>
#include <mutex>

namespace ctd::nl {

Result<SaveLoadReport> loadSaveLines(const SaveLineSource& next, ConntrackTable& side, const TransportFactory& senders,
                                     const SaveLoadOptions& options, const SaveLineErrorSink& onError)
{
    SaveLoadReport report;
    std::mutex sinkMu;
    auto fail = [&](uint64_t lineNo, const std::string& why) {
        if (!onError)
            return;
        std::lock_guard lock(sinkMu);
        onError(lineNo, why);
    };
    uint64_t existing = 0; // written by the senders, one at a time (the creator serializes them)
    BulkCreateOptions bulk;
    bulk.senders = options.senders;
    bulk.queueChunks = options.queueChunks;
    bulk.chunkBytes = options.chunkBytes;
    bulk.exclusive = true;
    auto creator = BulkCreator::start(senders, bulk, [&](uint64_t lineNo, const Error& e) {
        if (e.code == EEXIST) {
            ++existing;
            return;
        }
        fail(lineNo, e.message);
    });
    if (!creator)
        return creator.error();
    BulkCreator& c = **creator;

    SaveParseOptions parse;
    parse.labels = options.labels;
    uint64_t parseFailed = 0, otherOk = 0, otherFailed = 0;
    std::string line;
    bool tooLong = false;
    while (next(line, tooLong)) {
        const uint64_t lineNo = ++report.lines;
        if (tooLong) {
            ++parseFailed;
            fail(lineNo, "line too long");
            continue;
        }
        auto parsed = parseSaveLine(line, parse);
        if (!parsed) {
            ++parseFailed;
            fail(lineNo, parsed.error().message);
            continue;
        }
        if (!*parsed)
            continue; // blank or comment
        const SaveCommand& cmd = **parsed;
        if (cmd.command == 'A') {
            if (auto r = c.add(cmd.entry, lineNo); !r)
                return r.error();
            continue;
        }
        // Everything before this line first: "-A x" then "-D x" must delete x.
        if (auto r = c.drain(); !r)
            return r.error();
        Result<void> r;
        if (cmd.command == 'I')
            r = side.create(cmd.entry);
        else if (cmd.command == 'U')
            r = side.update(cmd.entry);
        else if (cmd.command == 'D')
            r = side.remove(cmd.entry);
        else
            r = side.flush(0);
        if (r) {
            ++otherOk;
        } else {
            ++otherFailed;
            fail(lineNo, r.error().message);
        }
    }
    auto created = c.finish();
    if (!created)
        return created.error();
    report.existing = existing;
    report.loaded = created->done + otherOk;
    report.failed = parseFailed + otherFailed + (created->failed - existing);
    return report;
}

} // namespace ctd::nl
