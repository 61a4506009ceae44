#include "conntrackd_options.hpp"

#include <climits>
#include <cstddef>

namespace ctd::ctl::conntrackd {

namespace {

enum class Mode { NotSet, Daemon, Request };

// strncmp(arg, word, strlen(arg)) == 0: arg is a prefix of word, "" included.
bool prefixOf(const std::string& arg, const char* word)
{
    return std::string(word).compare(0, arg.size(), arg) == 0;
}

class Parser {
public:
    explicit Parser(const std::vector<std::string>& args) : args_(args) {}

    ParsedCommand run();

private:
    // set_operation_mode(): a second, different mode is "Invalid parameters", exit 1.
    bool setMode(Mode want);
    // set_action_by_table(): an optional "ct"/"expect" word; anything else is left to be
    // read as the next option (and usually ends as "Unknown option").
    void byTable(size_t& i, Action ct, Action exp, Action dfl);
    bool hasWord(size_t i) const { return i + 1 < args_.size() && !startsWithDash(args_[i + 1]); }
    static bool startsWithDash(const std::string& s) { return !s.empty() && s[0] == '-'; }
    void usage() { out_.output.push_back({true, LogLevel::Error, {}}); }
    void log(LogLevel level, std::string text) { out_.output.push_back({false, level, std::move(text)}); }
    ParsedCommand fail(int code)
    {
        out_.next = ParsedCommand::Next::Exit;
        out_.exitCode = code;
        return out_;
    }

    const std::vector<std::string>& args_;
    ParsedCommand out_;
    Mode mode_ = Mode::NotSet;
    Action action_ = Action::None;
};

bool Parser::setMode(Mode want)
{
    if (mode_ == Mode::NotSet) {
        mode_ = want;
        return true;
    }
    if (mode_ != want) {
        usage();
        log(LogLevel::Error, "Invalid parameters");
        return false;
    }
    return true;
}

void Parser::byTable(size_t& i, Action ct, Action exp, Action dfl)
{
    if (!hasWord(i)) {
        action_ = dfl;
        return;
    }
    const std::string& word = args_[i + 1];
    if (prefixOf(word, "ct")) {
        action_ = ct;
        ++i;
    } else if (prefixOf(word, "expect")) {
        action_ = exp;
        ++i;
    }
}

ParsedCommand Parser::run()
{
    for (size_t i = 0; i < args_.size(); ++i) {
        const std::string& arg = args_[i];
        // main.c switches on argv[i][1]; for "" that byte is past the terminator, which we
        // read as NUL (an unknown option).
        const char letter = arg.size() >= 2 ? arg[1] : '\0';
        switch (letter) {
        case 'd':
            if (!setMode(Mode::Daemon))
                return fail(1);
            break;
        case 'c':
            if (!setMode(Mode::Request))
                return fail(1);
            byTable(i, Action::CtCommit, Action::ExpCommit, Action::AllCommit);
            break;
        case 'i':
            if (!setMode(Mode::Request))
                return fail(1);
            byTable(i, Action::CtDumpInternal, Action::ExpDumpInternal, Action::CtDumpInternal);
            break;
        case 'e':
            if (!setMode(Mode::Request))
                return fail(1);
            byTable(i, Action::CtDumpExternal, Action::ExpDumpExternal, Action::CtDumpExternal);
            break;
        case 'C':
            if (++i < args_.size()) {
                out_.configFile = args_[i];
                if (out_.configFile.size() >= PATH_MAX) {
                    out_.configFile.resize(PATH_MAX - 1);
                    log(LogLevel::Warning, "Path to config file to long. Cutting it down to " +
                                               std::to_string(PATH_MAX) + " characters");
                }
                break;
            }
            // conntrackd carries on after this (and then starts in console mode).
            usage();
            log(LogLevel::Error, "Missing config filename");
            break;
        case 'F':
            if (!setMode(Mode::Request))
                return fail(1);
            byTable(i, Action::CtFlushMaster, Action::ExpFlushMaster, Action::AllFlushMaster);
            break;
        case 'f':
            if (!setMode(Mode::Request))
                return fail(1);
            if (hasWord(i)) {
                const std::string& word = args_[i + 1];
                if (prefixOf(word, "internal")) {
                    action_ = Action::CtFlushInternalCache;
                    ++i;
                } else if (prefixOf(word, "external")) {
                    action_ = Action::CtFlushExternalCache;
                    ++i;
                } else {
                    log(LogLevel::Error, "unknown parameter `" + word + "' for option `-f'");
                    return fail(1);
                }
            } else {
                action_ = Action::AllFlushCache;
            }
            break;
        case 'R':
            if (!setMode(Mode::Request))
                return fail(1);
            byTable(i, Action::CtResyncMaster, Action::ExpResyncMaster, Action::AllResyncMaster);
            break;
        case 'B':
            if (!setMode(Mode::Request))
                return fail(1);
            action_ = Action::SendBulk;
            break;
        case 't':
            if (!setMode(Mode::Request))
                return fail(1);
            action_ = Action::ResetTimers;
            break;
        case 'k':
            if (!setMode(Mode::Request))
                return fail(1);
            action_ = Action::Kill;
            break;
        case 's': {
            if (!setMode(Mode::Request))
                return fail(1);
            if (!hasWord(i)) {
                action_ = Action::Stats;
                break;
            }
            const std::string& word = args_[i + 1];
            // The order matters: main.c tries the words in this order, so "c" is cache
            // and "" is network.
            static const struct {
                const char* word;
                Action action;
            } words[] = {
                {"network", Action::StatsNetwork}, {"cache", Action::StatsCache},
                {"runtime", Action::StatsRuntime}, {"multicast", Action::StatsLink},
                {"link", Action::StatsLink},       {"rsqueue", Action::StatsRsqueue},
                {"process", Action::StatsProcess}, {"queue", Action::StatsQueue},
                {"ct", Action::Stats},             {"expect", Action::ExpStats},
            };
            bool found = false;
            for (const auto& w : words) {
                if (prefixOf(word, w.word)) {
                    if (std::string(w.word) == "multicast")
                        log(LogLevel::Warning, "use `link' instead of `multicast' as parameter.");
                    action_ = w.action;
                    ++i;
                    found = true;
                    break;
                }
            }
            if (!found) {
                log(LogLevel::Error, "unknown parameter `" + word + "' for option `-s'");
                return fail(1);
            }
            break;
        }
        case 'n':
            if (!setMode(Mode::Request))
                return fail(1);
            action_ = Action::RequestDump;
            break;
        case 'x':
            if (action_ == Action::CtDumpInternal)
                action_ = Action::CtDumpInternalXml;
            else if (action_ == Action::CtDumpExternal)
                action_ = Action::CtDumpExternalXml;
            else if (action_ == Action::ExpDumpInternal)
                action_ = Action::ExpDumpInternalXml;
            else if (action_ == Action::ExpDumpExternal)
                action_ = Action::ExpDumpExternalXml;
            else {
                usage();
                log(LogLevel::Error, "Invalid parameters");
                return fail(1);
            }
            break;
        case 'v':
            out_.next = ParsedCommand::Next::Version;
            return out_;
        case 'h':
            usage();
            return fail(0);
        default:
            // conntrackd returns 0 here, after the usage and an error line.
            usage();
            log(LogLevel::Error, "Unknown option: " + arg);
            return fail(0);
        }
    }
    out_.action = action_;
    switch (mode_) {
    case Mode::Request: out_.next = ParsedCommand::Next::Request; break;
    case Mode::Daemon: out_.next = ParsedCommand::Next::Daemon; break;
    case Mode::NotSet: out_.next = ParsedCommand::Next::Console; break;
    }
    return out_;
}

} // namespace

ParsedCommand parseCommandLine(const std::vector<std::string>& args)
{
    return Parser(args).run();
}

std::string usageText(const std::string& progname)
{
    return "Connection tracking userspace daemon v1.4.7\n"
           "Usage: " + progname + " [commands] [options]\n"
           "\n"
           "General commands:\n"
           "  -d, run in daemon mode\n"
           "  -C [configfile], configuration file path\n"
           "  -v, display conntrackd version\n"
           "  -h, display this help information\n"
           "\n"
           "Client mode commands:\n"
           "  -c [ct|expect], commit external cache to conntrack table\n"
           "  -f [internal|external], flush internal and external cache\n"
           "  -F [ct|expect], flush kernel conntrack table\n"
           "  -i [ct|expect], display content of the internal cache\n"
           "  -e [ct|expect], display the content of the external cache\n"
           "  -k, kill conntrack daemon\n"
           "  -s  [network|cache|runtime|link|rsqueue|queue|ct|expect], dump statistics\n"
           "  -R [ct|expect], resync with kernel conntrack table\n"
           "  -n, request resync with other node (only FT-FW and NOTRACK modes)\n"
           "  -B, force a bulk send to other replica firewalls\n"
           "  -x, dump cache in XML format (requires -i or -e)\n"
           "  -t, reset the kernel timeout (see PurgeTimeout clause)\n"
           "\n";
}

std::string versionText()
{
    return "Connection tracking userspace daemon v1.4.7. Licensed under GPLv2.\n"
           "(C) 2006-2009 Pablo Neira Ayuso <pablo@netfilter.org>\n";
}

} // namespace ctd::ctl::conntrackd
