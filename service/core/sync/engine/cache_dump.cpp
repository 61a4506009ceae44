#include "cache_dump.hpp"

#include <memory>
#include <vector>

namespace ctd::sync {
namespace {

Entry asConntrackdShowsIt(const CacheObject& obj, bool external)
{
    Entry e = obj.entry();
    e.timeout.reset();
    e.use.reset();
    if (external)
        e.reply = Tuple{};
    return e;
}

// conntrackd's suffix goes before the '\n' the formatter ends each line with.
void appendSuffix(TextBuffer& out, const char* what, uint64_t seconds)
{
    if (out.last() == '\n')
        out.dropLast(1);
    out.append(what);
    out.appendDecimal(seconds);
    out.append("s]\n");
}

uint64_t secondsBetween(uint64_t fromMs, uint64_t toMs) { return toMs > fromMs ? (toMs - fromMs) / 1000 : 0; }

void appendAge(TextBuffer& out, const CacheObject& obj, const CacheDumpOptions& o)
{
    if (o.alarmMode)
        appendSuffix(out, " [expires in ", secondsBetween(o.nowMs, obj.refreshDueMs));
    else
        appendSuffix(out, " [active since ", secondsBetween(obj.createdMs, o.nowMs));
}

Result<uint64_t> dumpWhole(CacheDumpCursor& cursor, TextBuffer& out, const std::function<bool(TextBuffer&)>& flush)
{
    bool more = true;
    while (more) {
        more = cursor.step();
        out.append(cursor.buffer().view());
        cursor.buffer().clear();
        if (!flush(out))
            break;
    }
    return cursor.written();
}

} // namespace

void CacheDumpCursor::start(const CacheDumpOptions& o, bool expectations)
{
    FormatOptions spec = o.format;
    const bool xmlLines = o.style == CacheDumpOptions::Style::ConntrackdXml;
    if (o.style != CacheDumpOptions::Style::Formatted) {
        spec = FormatOptions{};
        if (xmlLines)
            spec.kind = OutputKind::Xml;
    }
    // conntrack -U's XML has no document around the flows, which is conntrackd's -x. For
    // expectations conntrackd's own line has no document either.
    document_ = o.style == CacheDumpOptions::Style::Formatted ||
                (!expectations && o.style == CacheDumpOptions::Style::Conntrackd);
    formatter_ = std::make_unique<Formatter>(spec, xmlLines ? Command::Update : Command::List, out_);
    if (document_)
        formatter_->begin();
}

CacheDumpCursor::CacheDumpCursor(const SyncCache& cache, const CacheDumpOptions& o)
{
    auto keys = std::make_shared<std::vector<CacheKey>>();
    keys->reserve(cache.size());
    cache.forEach([&](const CacheKey& key, const CacheObject& obj) {
        if (obj.state != ObjectState::Dead)
            keys->push_back(key);
    });
    count_ = keys->size();
    start(o, false);
    const bool plain = o.style == CacheDumpOptions::Style::Formatted;
    emit_ = [this, &cache, keys, o, plain](size_t i) {
        const CacheObject* obj = cache.find((*keys)[i]);
        if (!obj || obj->state == ObjectState::Dead)
            return false;
        if (plain) {
            formatter_->entry(obj->entry());
            return true;
        }
        formatter_->entry(asConntrackdShowsIt(*obj, o.external));
        if (o.style == CacheDumpOptions::Style::Conntrackd)
            appendAge(out_, *obj, o);
        return true;
    };
}

CacheDumpCursor::CacheDumpCursor(const ExpectationCache& cache, const CacheDumpOptions& o)
{
    auto keys = std::make_shared<std::vector<ExpectationKey>>();
    keys->reserve(cache.size());
    cache.forEach([&](const ExpectationKey& key, const ExpectationObject&) { keys->push_back(key); });
    count_ = keys->size();
    start(o, true);
    emit_ = [this, &cache, keys, o](size_t i) {
        const ExpectationObject* obj = cache.find((*keys)[i]);
        if (!obj)
            return false;
        if (o.style != CacheDumpOptions::Style::Conntrackd) {
            formatter_->expectation(obj->expectation);
            return true;
        }
        // conntrackd's line, like its connections: no timeout.
        Expectation shown = obj->expectation;
        shown.timeout.reset();
        formatter_->expectation(shown);
        appendSuffix(out_, " [active since ", secondsBetween(obj->createdMs, o.nowMs));
        return true;
    };
}

bool CacheDumpCursor::step()
{
    if (done_)
        return false;
    while (next_ < count_ && !out_.wantsFlush())
        written_ += emit_(next_++);
    if (next_ < count_)
        return true;
    if (document_)
        formatter_->end();
    done_ = true;
    return false;
}

Result<uint64_t> dumpCache(const SyncCache& cache, const CacheDumpOptions& o, TextBuffer& out,
                           const std::function<bool(TextBuffer&)>& flush)
{
    CacheDumpCursor cursor(cache, o);
    return dumpWhole(cursor, out, flush);
}

Result<uint64_t> dumpExpectationCache(const ExpectationCache& cache, const CacheDumpOptions& o, TextBuffer& out,
                                      const std::function<bool(TextBuffer&)>& flush)
{
    CacheDumpCursor cursor(cache, o);
    return dumpWhole(cursor, out, flush);
}

} // namespace ctd::sync
