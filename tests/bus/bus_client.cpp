// A minimal D-Bus client for the bus suite: busctl (systemd 252) cannot pass file
// descriptors and gdbus cannot either, but half of the Table methods take one.
//
//   bus_client [--timeout SEC] OBJECT INTERFACE METHOD ARG...
//   ARG: dict:KEY=T:VALUE;KEY=T:VALUE   a{sv} (T: s q u y b as, as values split on '|')
//        s:TEXT                         string
//        fd:N                           this process's fd N as 'h'
// Prints the reply's uint64 values ("ok 3 0") or "error NAME: MESSAGE" and exits 0/1.
#include <sdbus-c++/sdbus-c++.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace {

std::vector<std::string> split(const std::string& text, char sep)
{
    std::vector<std::string> parts;
    std::string part;
    std::istringstream in(text);
    while (std::getline(in, part, sep))
        parts.push_back(part);
    return parts;
}

sdbus::Variant variantOf(const std::string& type, const std::string& value)
{
    if (type == "s")
        return sdbus::Variant(value);
    if (type == "q")
        return sdbus::Variant(static_cast<uint16_t>(std::stoul(value)));
    if (type == "u")
        return sdbus::Variant(static_cast<uint32_t>(std::stoul(value)));
    if (type == "y")
        return sdbus::Variant(static_cast<uint8_t>(std::stoul(value)));
    if (type == "b")
        return sdbus::Variant(value == "true");
    if (type == "as")
        return sdbus::Variant(split(value, '|'));
    std::cerr << "bus_client: unknown type " << type << "\n";
    std::exit(2);
}

void append(sdbus::MethodCall& call, const std::string& arg)
{
    if (arg.rfind("dict:", 0) == 0) {
        std::map<std::string, sdbus::Variant> dict;
        for (const auto& item : split(arg.substr(5), ';')) {
            auto eq = item.find('=');
            auto colon = item.find(':', eq);
            if (eq == std::string::npos || colon == std::string::npos) {
                std::cerr << "bus_client: bad dict item " << item << "\n";
                std::exit(2);
            }
            dict[item.substr(0, eq)] =
                variantOf(item.substr(eq + 1, colon - eq - 1), item.substr(colon + 1));
        }
        call << dict;
    } else if (arg.rfind("s:", 0) == 0) {
        call << arg.substr(2);
    } else if (arg.rfind("fd:", 0) == 0) {
        call << sdbus::UnixFd(std::stoi(arg.substr(3)));
    } else {
        std::cerr << "bus_client: bad argument " << arg << "\n";
        std::exit(2);
    }
}

} // namespace

int main(int argc, char** argv)
{
    int first = 1;
    long timeoutSec = 25;
    if (argc > 2 && std::string(argv[1]) == "--timeout") {
        timeoutSec = std::stol(argv[2]);
        first = 3;
    }
    if (argc - first < 3) {
        std::cerr << "usage: bus_client [--timeout SEC] OBJECT INTERFACE METHOD ARG...\n";
        return 2;
    }
    try {
        auto bus = sdbus::createSystemBusConnection();
        auto proxy = sdbus::createProxy(*bus, "org.netfilter.Conntrack1", argv[first]);
        auto call = proxy->createMethodCall(argv[first + 1], argv[first + 2]);
        for (int i = first + 3; i < argc; ++i)
            append(call, argv[i]);
        auto reply = proxy->callMethod(call, std::chrono::seconds(timeoutSec));
        std::cout << "ok";
        for (;;) {
            std::string type, contents;
            reply.peekType(type, contents);
            if (type != "t")
                break;
            uint64_t value = 0;
            reply >> value;
            std::cout << " " << value;
        }
        std::cout << "\n";
        return 0;
    } catch (const sdbus::Error& e) {
        std::cout << "error " << e.getName() << ": " << e.getMessage() << "\n";
        return 1;
    }
}
