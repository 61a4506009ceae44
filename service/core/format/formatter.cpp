#include "format/formatter.hpp"

#include "format/writers.hpp"

#include <ctime>
#include <sys/time.h>

namespace ctd {

namespace {

int64_t systemClock() { return static_cast<int64_t>(::time(nullptr)); }

char saveCommand(Command command, EventType type)
{
    if (command == Command::Events) {
        switch (type) {
        case EventType::New: return 'A';
        case EventType::Update: return 'U';
        case EventType::Destroy: return 'D';
        case EventType::None: return 0;
        }
    }
    return command == Command::Delete ? 'D' : 'A';
}

} // namespace

Formatter::Formatter(const FormatOptions& options, Command command, TextBuffer& out,
                     const LabelMap* labels)
    : options_(options), command_(command), out_(out),
      labels_(options.labels || options.kind == OutputKind::Json ? labels : nullptr),
      clock_(systemClock)
{
}

void Formatter::begin()
{
    // Nothing to print yet: conntrack writes the XML header with the first entry only.
}

void Formatter::xmlHeader(bool expectations)
{
    if (xmlOpen_)
        return;
    xmlOpen_ = true;
    xmlExpect_ = expectations;
    out_.append(expectations ? "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<expect>\n"
                             : "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<conntrack>\n");
}

void Formatter::timestampPrefix(const EventInfo& info, bool expectation)
{
    out_.append('[');
    if (expectation) {
        // "[%-8ld.%-6ld]\t": left-justified, so short microseconds are padded with blanks.
        const size_t before = out_.size();
        out_.appendSigned(info.sec);
        for (size_t n = out_.size() - before; n < 8; ++n)
            out_.append(' ');
        out_.append('.');
        const size_t mid = out_.size();
        out_.appendSigned(info.usec);
        for (size_t n = out_.size() - mid; n < 6; ++n)
            out_.append(' ');
    } else {
        // "[%-.8ld.%-.6ld]\t": the precision zero-pads the microseconds.
        if (info.sec < 0) {
            out_.append('-');
            out_.appendDecimalPadded(~static_cast<uint64_t>(info.sec) + 1, 8);
        } else {
            out_.appendDecimalPadded(static_cast<uint64_t>(info.sec), 8);
        }
        out_.append('.');
        if (info.usec < 0) {
            out_.append('-');
            out_.appendDecimalPadded(~static_cast<uint64_t>(info.usec) + 1, 6);
        } else {
            out_.appendDecimalPadded(static_cast<uint64_t>(info.usec), 6);
        }
    }
    out_.append("]\t");
}

void Formatter::userspaceSuffix(const EventInfo& info)
{
    if (info.portid == 0)
        return;
    out_.append(" [USERSPACE] portid=");
    out_.appendDecimal(info.portid);
    if (!info.progname.empty()) {
        out_.append(" progname=");
        out_.append(info.progname);
    }
}

void Formatter::entry(const Entry& e)
{
    ++count_;
    switch (options_.kind) {
    case OutputKind::Save:
        writeConntrackSave(out_, e, saveCommand(command_, EventType::None));
        break;
    case OutputKind::Json: {
        JsonContext ctx;
        ctx.labels = labels_;
        writeConntrackJson(out_, e, ctx);
        break;
    }
    case OutputKind::Xml:
    case OutputKind::Default: {
        WriteContext ctx;
        ctx.layer3 = options_.extended;
        ctx.id = options_.id;
        ctx.ktimestamp = options_.ktimestamp && (command_ == Command::List || command_ == Command::Get);
        ctx.labels = command_ == Command::Delete ? nullptr : labels_;
        ctx.now = e.timestamps ? clock_() : 0; // only delta-time needs it
        if (options_.kind == OutputKind::Xml) {
            if (command_ == Command::List || command_ == Command::Get)
                xmlHeader(false);
            writeConntrackXml(out_, e, ctx);
        } else {
            writeConntrackText(out_, e, ctx);
        }
        break;
    }
    }
    out_.append('\n');
}

void Formatter::event(const Entry& e, const EventInfo& info)
{
    ++count_;
    switch (options_.kind) {
    case OutputKind::Save:
        writeConntrackSave(out_, e, saveCommand(Command::Events, info.type));
        break;
    case OutputKind::Json: {
        JsonContext ctx{info.type, true, info.portid, info.progname, info.sec, info.usec, labels_};
        writeConntrackJson(out_, e, ctx);
        break;
    }
    case OutputKind::Xml:
    case OutputKind::Default: {
        WriteContext ctx;
        ctx.type = info.type;
        ctx.layer3 = options_.extended;
        ctx.id = options_.id;
        ctx.ktimestamp = options_.ktimestamp;
        ctx.labels = labels_;
        ctx.now = e.timestamps ? clock_() : 0; // only delta-time needs it
        if (options_.kind == OutputKind::Xml) {
            xmlHeader(false);
            ctx.when = options_.timestamp;
            ctx.whenSec = info.sec;
            writeConntrackXml(out_, e, ctx);
        } else {
            if (options_.timestamp)
                timestampPrefix(info, false);
            writeConntrackText(out_, e, ctx);
        }
        break;
    }
    }
    if (options_.kind != OutputKind::Json)
        userspaceSuffix(info);
    out_.append('\n');
}

void Formatter::expectation(const Expectation& x)
{
    EventInfo now;
    if (options_.timestamp) {
        struct timeval tv{};
        ::gettimeofday(&tv, nullptr);
        now.sec = tv.tv_sec;
        now.usec = tv.tv_usec;
    }
    ++count_;
    WriteContext ctx;
    switch (options_.kind) {
    case OutputKind::Json:
        writeExpectationJson(out_, x, JsonContext{});
        break;
    case OutputKind::Xml:
        xmlHeader(true);
        ctx.when = options_.timestamp;
        ctx.whenSec = now.sec;
        writeExpectationXml(out_, x, ctx);
        break;
    case OutputKind::Save: // conntrack has no save form for expectations
    case OutputKind::Default:
        if (options_.timestamp)
            timestampPrefix(now, true);
        writeExpectationText(out_, x, ctx);
        break;
    }
    out_.append('\n');
}

void Formatter::expectationEvent(const Expectation& x, const EventInfo& info)
{
    ++count_;
    WriteContext ctx;
    ctx.type = info.type;
    switch (options_.kind) {
    case OutputKind::Json: {
        JsonContext jctx{info.type, true, info.portid, info.progname, info.sec, info.usec, nullptr};
        writeExpectationJson(out_, x, jctx);
        break;
    }
    case OutputKind::Xml:
        xmlHeader(true);
        ctx.when = options_.timestamp;
        ctx.whenSec = info.sec;
        writeExpectationXml(out_, x, ctx);
        break;
    case OutputKind::Save:
    case OutputKind::Default:
        if (options_.timestamp)
            timestampPrefix(info, true);
        writeExpectationText(out_, x, ctx);
        break;
    }
    out_.append('\n');
}

void Formatter::end()
{
    // -G prints the header but never the footer; keep that for byte-exact output.
    if (xmlOpen_ && command_ != Command::Get)
        out_.append(xmlExpect_ ? "</expect>\n" : "</conntrack>\n");
    xmlOpen_ = false;
}

namespace {
// The one-shot helpers return the record alone, without the document header.
std::string withoutXmlHeader(std::string s)
{
    static constexpr std::string_view kXmlDecl = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n";
    if (s.compare(0, kXmlDecl.size(), kXmlDecl) == 0) {
        size_t nl = s.find('\n', kXmlDecl.size());
        s.erase(0, nl == std::string::npos ? s.size() : nl + 1);
    }
    return s;
}
} // namespace

std::string formatEntry(const Entry& e, const FormatOptions& options, Command command,
                        const LabelMap* labels, WallClock clock)
{
    TextBuffer out(4096);
    Formatter fmt(options, command, out, labels);
    if (clock)
        fmt.setClock(clock);
    fmt.entry(e);
    return withoutXmlHeader(out.str());
}

std::string formatExpectation(const Expectation& x, const FormatOptions& options, Command command,
                              WallClock clock)
{
    TextBuffer out(4096);
    Formatter fmt(options, command, out);
    if (clock)
        fmt.setClock(clock);
    fmt.expectation(x);
    return withoutXmlHeader(out.str());
}

} // namespace ctd
