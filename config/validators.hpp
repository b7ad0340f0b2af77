#pragma once
// gunicorn's validators (config.py), one C++ function each. They take a raw
// value from any source and return the stored value, or throw
// ValidationError with gunicorn's wording.
#include "config/setting_spec.hpp"

namespace gpp::config::validators {

Value pos_int(const Value& v, const SettingSpec& s);            ///< validate_pos_int (base 0 strings)
Value http2_frame_size(const Value& v, const SettingSpec& s);   ///< 16384..16777215
Value boolean(const Value& v, const SettingSpec& s);            ///< validate_bool ("true"/"false")
Value string(const Value& v, const SettingSpec& s);             ///< validate_string (stripped)
Value list_string(const Value& v, const SettingSpec& s);        ///< validate_list_string (str -> [str])
Value files_or_patterns(const Value& v, const SettingSpec& s);  ///< reload_extra_files
Value string_to_list(const Value& v, const SettingSpec& s);     ///< "a,b" -> ['a', 'b']
Value addr_list(const Value& v, const SettingSpec& s);          ///< IPs/networks (strict) or '*'
Value dict(const Value& v, const SettingSpec& s);               ///< validate_dict
Value klass(const Value& v, const SettingSpec& s);              ///< validate_class (string or class)
Value callable(const Value& v, const SettingSpec& s);           ///< hooks: arity = spec.arity
Value post_request(const Value& v, const SettingSpec& s);       ///< arity 2, 3 or 4
Value user(const Value& v, const SettingSpec& s);               ///< name or uid -> uid
Value group(const Value& v, const SettingSpec& s);              ///< name or gid -> gid
Value chdir(const Value& v, const SettingSpec& s);              ///< existing directory, made absolute
Value statsd_address(const Value& v, const SettingSpec& s);     ///< host:port | unix:PATH
Value reload_engine(const Value& v, const SettingSpec& s);      ///< auto | poll | inotify
Value any(const Value& v, const SettingSpec& s);                ///< ssl_version: kept as given
Value proxy_protocol(const Value& v, const SettingSpec& s);     ///< off | v1 | v2 | auto
Value http_protocols(const Value& v, const SettingSpec& s);     ///< "h1,h2" -> ['h1', 'h2']
Value http2_cleartext(const Value& v, const SettingSpec& s);    ///< off | prior-knowledge | upgrade | both
Value header_map(const Value& v, const SettingSpec& s);         ///< drop | refuse | dangerous
Value asgi_loop(const Value& v, const SettingSpec& s);          ///< auto | asyncio | uvloop
Value asgi_lifespan(const Value& v, const SettingSpec& s);      ///< auto | on | off
Value http_parser(const Value& v, const SettingSpec& s);        ///< auto | fast | python

/// Python's `ipaddress.ip_network(text)` (strict): true when valid.
/// On failure `why` holds Python's message.
bool is_ip_network(std::string_view text, std::string& why);

}  // namespace gpp::config::validators
