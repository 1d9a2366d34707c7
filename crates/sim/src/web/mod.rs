//! `access.log`: the Apache combined log of a small shop, `shop.example.com`.
//!
//! Benign traffic: a few hundred clients with Zipf-like activity (browsers,
//! crawlers, an uptime monitor, API partners, three admins behind HTTP basic
//! auth on `/admin/`). Browsers load pages, then their static assets with the
//! page as referer, call JSON APIs, search (with queries that look like SQL or
//! script words: "select dress", "union station", "O'Brien"), land from
//! campaigns with long `utm_*` parameters, come back from OAuth with `code=`,
//! follow links with base64 tokens. Failures stay rare and isolated: a client
//! gets at most one benign 404 or 5xx per 15 minutes, an admin one basic-auth challenge
//! (plus rarely one mistyped password) per 30 minutes, a user one form login
//! per 10 minutes and one failed form login per 15 minutes.
//!
//! Attacks (each from a fresh attacker address): basic-auth brute force on
//! `/admin/`, form login brute force, SQL injection, XSS, path traversal,
//! command injection, and vulnerability scanners (404 floods).

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::pick::{Weighted, chance, one};
use crate::pool::{CLIENT_BLOCKS, draw_hosts};
use crate::text::{Alphabet, ip, push_ip, push_num, push_token};

const SITE: &str = "https://shop.example.com";
const MIN: i64 = 60_000;

// ---------------------------------------------------------------- tables

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Arg {
    None,
    Id,
    Category,
    Post,
}

/// (path, argument appended to it, weight)
const PAGES: &[(&str, Arg, u64)] = &[
    ("/", Arg::None, 20),
    ("/products", Arg::None, 8),
    ("/products/", Arg::Id, 25),
    ("/category/", Arg::Category, 12),
    ("/blog/", Arg::None, 3),
    ("/blog/2024/01/", Arg::Post, 6),
    ("/about", Arg::None, 2),
    ("/contact", Arg::None, 2),
    ("/faq", Arg::None, 2),
    ("/pricing", Arg::None, 2),
    ("/docs/getting-started", Arg::None, 2),
    ("/docs/api", Arg::None, 1),
    ("/cart", Arg::None, 5),
    ("/checkout", Arg::None, 2),
    ("/account", Arg::None, 3),
    ("/account/orders", Arg::None, 2),
    ("/careers", Arg::None, 1),
    ("/gift-cards", Arg::None, 1),
    ("/stores", Arg::None, 1),
];

const CATEGORIES: &[&str] = &[
    "shoes",
    "jackets",
    "home-office",
    "kitchen",
    "outdoor",
    "kids",
    "accessories",
    "sale",
];

const POSTS: &[&str] = &[
    "winter-running-guide",
    "how-we-source-wool",
    "desk-setup-ideas",
    "caring-for-leather",
    "new-store-at-union-station",
    "select-the-right-size",
    "drop-shipping-faq",
];

/// (path, has product id, min size, max size)
const ASSETS: &[(&str, bool, u32, u32)] = &[
    ("/static/css/main.3f9a1c.css", false, 48_000, 52_000),
    ("/static/js/app.8b2d4e.js", false, 180_000, 190_000),
    ("/static/js/vendor.1c7f0a.js", false, 410_000, 420_000),
    ("/static/js/analytics.js", false, 9_000, 9_500),
    ("/images/logo.svg", false, 3_100, 3_200),
    ("/favicon.ico", false, 15_086, 15_087),
    ("/fonts/inter-var.woff2", false, 98_000, 99_000),
    ("/images/banners/winter-sale.webp", false, 120_000, 160_000),
    ("/images/products/", true, 20_000, 240_000),
    ("/images/products/thumb-", true, 4_000, 18_000),
];

const SEARCHES: &[&str] = &[
    "select+dress",
    "select%20comfort%20mattress",
    "union+station+parking",
    "union+square+store",
    "drop+shipping",
    "drop+shipping+supplier",
    "O%27Brien+jacket",
    "O'Brien+scarf",
    "table+and+chairs",
    "update+firmware+router",
    "delete+my+account",
    "script+writing+course",
    "1+or+2+seater+sofa",
    "where+is+my+order",
    "cat+toys",
    "exec+office+chair",
    "insert+coin+arcade",
    "sleep+mask",
    "medical+alert+bracelet",
    "rock+%26+roll+t-shirt",
    "50%25+off",
    "c%2B%2B+book",
    "caf%C3%A9+table",
    "%E6%9C%BA%E6%A2%B0%E9%94%AE%E7%9B%98",
    "men%27s+shoes",
    "kids+%22rain+boots%22",
    "and+or+not+logic+gates+kit",
    "null+modem+cable",
    "javascript+for+beginners",
    "shell+necklace",
    "running+shoes",
    "wool+socks",
    "gift+card",
    "standing+desk",
];

const UTM_SOURCES: &[&str] = &[
    "newsletter",
    "facebook",
    "google",
    "instagram",
    "partner_blog",
];
const UTM_MEDIUMS: &[&str] = &["email", "cpc", "social", "referral"];
const UTM_CAMPAIGNS: &[&str] = &[
    "winter_sale_2024",
    "new_arrivals_jan",
    "retargeting_q1",
    "brand_awareness_2024",
];

const EXTERNAL_REFERERS: &[&str] = &[
    "https://www.google.com/",
    "https://www.google.com/",
    "https://www.bing.com/",
    "https://duckduckgo.com/",
    "https://t.co/",
    "https://www.facebook.com/",
    "https://news.ycombinator.com/",
    "https://www.reddit.com/r/BuyItForLife/",
    "android-app://com.google.android.gm/",
];

const BENIGN_404: &[&str] = &[
    "/apple-touch-icon.png",
    "/apple-touch-icon-precomposed.png",
    "/favicon.png",
    "/blog/2019/05/summer-lookbook",
    "/sale-2023",
    "/stores/berlin",
    "/docs/v1/api",
    "/static/js/app.2a1b9c.js",
    "/static/css/main.77d2e0.css",
    "/products/0",
];

const BROWSER_UAS: &[(&str, u64)] = &[
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
        30,
    ),
    (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
        12,
    ),
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0",
        8,
    ),
    (
        "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
        3,
    ),
    (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Safari/605.1.15",
        8,
    ),
    (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1",
        18,
    ),
    (
        "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36",
        15,
    ),
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.0.0",
        6,
    ),
];

const CRAWLER_UAS: &[&str] = &[
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "DuckDuckBot/1.1; (+http://duckduckgo.com/duckduckbot.html)",
    "Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)",
];

const MONITOR_UAS: &[&str] = &[
    "curl/8.5.0",
    "Mozilla/5.0+(compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)",
];

const API_UAS: &[&str] = &[
    "ShopSync/2.4.1 (+https://partner.example.net/shopsync)",
    "okhttp/4.12.0",
];

const ADMIN_USERS: &[&str] = &["alice", "carol", "dave"];

// ---------------------------------------------------------------- clients

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Persona {
    Browser,
    Crawler,
    Monitor,
    Api,
    Admin,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pending {
    None,
    /// The browser answers a basic-auth challenge.
    AuthRetry {
        typo: bool,
    },
    /// The login form was shown; the user submits it.
    LoginPost,
}

#[derive(Debug)]
struct Client {
    ip: u32,
    persona: Persona,
    ua: &'static str,
    proto: &'static str,
    user: &'static str,
    page: usize,
    page_arg: u32,
    last_404: i64,
    last_fail: i64,
    last_login: i64,
    auth_until: i64,
    pending: Pending,
}

enum Referer {
    None,
    External(&'static str),
    Page(usize, u32),
}

/// The benign web traffic model and the web attack planner.
pub(crate) struct WebModel {
    clients: Vec<Client>,
    activity: Weighted,
    pages: Weighted,
    browser_actions: Weighted,
}

#[derive(Debug, Clone, Copy)]
enum Action {
    Page,
    Asset,
    Api,
    Search,
    Landing,
    Login,
    OAuth,
    Token,
    NotFound,
    Error,
}

const BROWSER_ACTIONS: &[(Action, u64)] = &[
    (Action::Page, 300),
    (Action::Asset, 400),
    (Action::Api, 100),
    (Action::Search, 50),
    (Action::Landing, 20),
    (Action::Login, 20),
    (Action::OAuth, 10),
    (Action::Token, 10),
    (Action::NotFound, 6),
    (Action::Error, 1),
];

impl WebModel {
    pub(crate) fn new(rng: &mut ChaCha8Rng) -> Self {
        const N: usize = 700;
        let ips = draw_hosts(rng, CLIENT_BLOCKS, N);
        let browser_uas = Weighted::new(BROWSER_UAS.iter().map(|u| u.1));
        let mut clients: Vec<Client> = ips
            .into_iter()
            .map(|ip| Client {
                ip,
                persona: Persona::Browser,
                ua: BROWSER_UAS[browser_uas.sample(rng)].0,
                proto: if chance(rng, 0.35) {
                    "HTTP/2.0"
                } else {
                    "HTTP/1.1"
                },
                user: "-",
                page: 0,
                page_arg: 0,
                last_404: i64::MIN / 2,
                last_fail: i64::MIN / 2,
                last_login: i64::MIN / 2,
                auth_until: i64::MIN / 2,
                pending: Pending::None,
            })
            .collect();
        // Special clients at fixed activity ranks.
        let special: &[(usize, Persona, &'static str)] = &[
            (0, Persona::Crawler, CRAWLER_UAS[0]),
            (3, Persona::Monitor, MONITOR_UAS[1]),
            (6, Persona::Api, API_UAS[0]),
            (9, Persona::Crawler, CRAWLER_UAS[1]),
            (14, Persona::Api, API_UAS[1]),
            (25, Persona::Monitor, MONITOR_UAS[0]),
            (31, Persona::Crawler, CRAWLER_UAS[2]),
            (57, Persona::Crawler, CRAWLER_UAS[3]),
        ];
        for &(rank, persona, ua) in special {
            clients[rank].persona = persona;
            clients[rank].ua = ua;
            clients[rank].proto = "HTTP/1.1";
        }
        // Admins work from the office and partners' addresses in 198.51.100.0/24.
        for (i, (&rank, user)) in [12usize, 20, 44].iter().zip(ADMIN_USERS).enumerate() {
            let c = &mut clients[rank];
            c.persona = Persona::Admin;
            c.user = user;
            c.ip = ip(198, 51, 100, 20 + i as u8);
        }
        WebModel {
            clients,
            activity: Weighted::zipf(N, 5.0),
            pages: Weighted::new(PAGES.iter().map(|p| p.2)),
            browser_actions: Weighted::new(BROWSER_ACTIONS.iter().map(|a| a.1)),
        }
    }

    /// Writes one benign request line.
    pub(crate) fn benign(
        &mut self,
        rng: &mut ChaCha8Rng,
        now: i64,
        stamp: &[u8],
        out: &mut Vec<u8>,
    ) {
        let idx = self.activity.sample(rng);
        let pages = &self.pages;
        let actions = &self.browser_actions;
        let Some(c) = self.clients.get_mut(idx) else {
            return;
        };
        match c.pending {
            Pending::AuthRetry { typo } => return admin_retry(rng, c, typo, now, stamp, out),
            Pending::LoginPost => return login_post(rng, c, now, stamp, out),
            Pending::None => {}
        }
        match c.persona {
            Persona::Crawler => crawler(rng, c, pages, stamp, out),
            Persona::Monitor => monitor(rng, c, stamp, out),
            Persona::Api => api(rng, c, stamp, out, true),
            Persona::Admin if chance(rng, 0.6) => admin(rng, c, now, stamp, out),
            Persona::Admin | Persona::Browser => {
                let action = BROWSER_ACTIONS[actions.sample(rng)].0;
                browser(rng, c, action, pages, now, stamp, out);
            }
        }
    }
}

// ---------------------------------------------------------------- benign writers

fn open(out: &mut Vec<u8>, c: &Client, user: &str, stamp: &[u8], method: &str) {
    push_ip(out, c.ip);
    out.extend_from_slice(b" - ");
    out.extend_from_slice(user.as_bytes());
    out.extend_from_slice(b" [");
    out.extend_from_slice(stamp);
    out.extend_from_slice(b"] \"");
    out.extend_from_slice(method.as_bytes());
    out.push(b' ');
}

fn write_page(out: &mut Vec<u8>, page: usize, arg: u32) {
    let Some(&(path, kind, _)) = PAGES.get(page) else {
        out.push(b'/');
        return;
    };
    out.extend_from_slice(path.as_bytes());
    match kind {
        Arg::None => {}
        Arg::Id => push_num(out, u64::from(arg)),
        Arg::Category => {
            out.extend_from_slice(CATEGORIES[arg as usize % CATEGORIES.len()].as_bytes())
        }
        Arg::Post => out.extend_from_slice(POSTS[arg as usize % POSTS.len()].as_bytes()),
    }
}

fn close(out: &mut Vec<u8>, c: &Client, status: u16, size: u32, referer: Referer) {
    out.push(b' ');
    out.extend_from_slice(c.proto.as_bytes());
    out.extend_from_slice(b"\" ");
    push_num(out, u64::from(status));
    out.push(b' ');
    if size == 0 {
        out.push(b'-');
    } else {
        push_num(out, u64::from(size));
    }
    out.extend_from_slice(b" \"");
    match referer {
        Referer::None => out.push(b'-'),
        Referer::External(r) => out.extend_from_slice(r.as_bytes()),
        Referer::Page(p, a) => {
            out.extend_from_slice(SITE.as_bytes());
            write_page(out, p, a);
        }
    }
    out.extend_from_slice(b"\" \"");
    out.extend_from_slice(c.ua.as_bytes());
    out.extend_from_slice(b"\"\n");
}

fn page_arg(rng: &mut ChaCha8Rng, page: usize) -> u32 {
    match PAGES.get(page).map(|p| p.1) {
        Some(Arg::Id) => rng.random_range(1000..9999),
        Some(Arg::Category) => rng.random_range(0..CATEGORIES.len() as u32),
        Some(Arg::Post) => rng.random_range(0..POSTS.len() as u32),
        _ => 0,
    }
}

fn current_referer(c: &Client) -> Referer {
    Referer::Page(c.page, c.page_arg)
}

fn browser(
    rng: &mut ChaCha8Rng,
    c: &mut Client,
    action: Action,
    pages: &Weighted,
    now: i64,
    stamp: &[u8],
    out: &mut Vec<u8>,
) {
    match action {
        Action::Page => {
            let page = pages.sample(rng);
            let arg = page_arg(rng, page);
            let referer = if chance(rng, 0.7) {
                current_referer(c)
            } else if chance(rng, 0.5) {
                Referer::External(one(rng, EXTERNAL_REFERERS))
            } else {
                Referer::None
            };
            open(out, c, "-", stamp, "GET");
            if page == 4 && chance(rng, 0.1) {
                // "/blog" without the slash: redirected.
                out.extend_from_slice(b"/blog");
                close(out, c, 301, 235, referer);
                return;
            }
            write_page(out, page, arg);
            let (status, size) = if chance(rng, 0.04) {
                (304, 0)
            } else {
                (200, rng.random_range(6_000..80_000))
            };
            close(out, c, status, size, referer);
            c.page = page;
            c.page_arg = arg;
        }
        Action::Asset => {
            let (path, with_id, lo, hi) = one(rng, ASSETS);
            open(out, c, "-", stamp, "GET");
            out.extend_from_slice(path.as_bytes());
            if with_id {
                let id = if c.page == 2 {
                    c.page_arg
                } else {
                    rng.random_range(1000..9999)
                };
                push_num(out, u64::from(id));
                out.extend_from_slice(if path.ends_with('-') {
                    b".webp"
                } else {
                    b".jpg"
                });
            }
            let (status, size) = if chance(rng, 0.35) {
                (304, 0)
            } else {
                (200, rng.random_range(lo..=hi))
            };
            close(out, c, status, size, current_referer(c));
        }
        Action::Api => api(rng, c, stamp, out, false),
        Action::Search => {
            open(out, c, "-", stamp, "GET");
            out.extend_from_slice(b"/search?q=");
            out.extend_from_slice(one(rng, SEARCHES).as_bytes());
            if chance(rng, 0.2) {
                out.extend_from_slice(b"&page=");
                push_num(out, rng.random_range(2..6));
            }
            let size = rng.random_range(12_000..40_000);
            close(out, c, 200, size, current_referer(c));
        }
        Action::Landing => {
            let page = one(rng, &[0usize, 2, 3]);
            let arg = page_arg(rng, page);
            open(out, c, "-", stamp, "GET");
            write_page(out, page, arg);
            out.extend_from_slice(b"?utm_source=");
            out.extend_from_slice(one(rng, UTM_SOURCES).as_bytes());
            out.extend_from_slice(b"&utm_medium=");
            out.extend_from_slice(one(rng, UTM_MEDIUMS).as_bytes());
            out.extend_from_slice(b"&utm_campaign=");
            out.extend_from_slice(one(rng, UTM_CAMPAIGNS).as_bytes());
            if chance(rng, 0.5) {
                out.extend_from_slice(b"&utm_content=hero_cta&utm_term=running+shoes");
            }
            match rng.random_range(0..3) {
                0 => {
                    out.extend_from_slice(b"&gclid=Cj0KCQiA");
                    push_token(out, rng, Alphabet::Base64Url, 72);
                }
                1 => {
                    out.extend_from_slice(b"&fbclid=IwAR");
                    push_token(out, rng, Alphabet::Base64Url, 58);
                }
                _ => {
                    out.extend_from_slice(b"&mc_eid=");
                    push_token(out, rng, Alphabet::Hex, 10);
                }
            }
            let size = rng.random_range(20_000..80_000);
            close(
                out,
                c,
                200,
                size,
                Referer::External(one(rng, EXTERNAL_REFERERS)),
            );
            c.page = page;
            c.page_arg = arg;
        }
        Action::Login if now - c.last_login > 10 * MIN => {
            c.last_login = now;
            open(out, c, "-", stamp, "GET");
            out.extend_from_slice(b"/login");
            let size = rng.random_range(7_200..7_800);
            close(out, c, 200, size, current_referer(c));
            c.pending = Pending::LoginPost;
        }
        Action::OAuth => {
            open(out, c, "-", stamp, "GET");
            out.extend_from_slice(b"/oauth/callback?state=");
            push_token(out, rng, Alphabet::Hex, 32);
            out.extend_from_slice(b"&code=4%2F0AfJohX");
            push_token(out, rng, Alphabet::Base64Url, 64);
            out.extend_from_slice(
                b"&scope=email+profile+openid+https%3A%2F%2Fwww.googleapis.com%2Fauth%2Fuserinfo.email&authuser=0&prompt=consent",
            );
            close(
                out,
                c,
                302,
                0,
                Referer::External("https://accounts.google.com/"),
            );
        }
        Action::Token => {
            open(out, c, "-", stamp, "GET");
            let (status, size) = match rng.random_range(0..4) {
                0 => {
                    out.extend_from_slice(b"/account/verify?token=");
                    push_token(out, rng, Alphabet::Base64Url, 43);
                    (302, 0)
                }
                1 => {
                    out.extend_from_slice(b"/unsubscribe?t=");
                    push_token(out, rng, Alphabet::Base64StdEncoded, 30);
                    out.extend_from_slice(b"%3D%3D");
                    (200, rng.random_range(3_000..4_000))
                }
                2 => {
                    out.extend_from_slice(
                        b"/invoice/download?jwt=eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.",
                    );
                    push_token(out, rng, Alphabet::Base64Url, 60);
                    out.push(b'.');
                    push_token(out, rng, Alphabet::Base64Url, 43);
                    (200, rng.random_range(40_000..200_000))
                }
                _ => {
                    out.extend_from_slice(b"/reset-password?token=");
                    push_token(out, rng, Alphabet::Hex, 64);
                    (200, rng.random_range(5_000..6_000))
                }
            };
            close(
                out,
                c,
                status,
                size,
                Referer::External("android-app://com.google.android.gm/"),
            );
        }
        Action::NotFound if now - c.last_404 > 15 * MIN => {
            c.last_404 = now;
            open(out, c, "-", stamp, "GET");
            out.extend_from_slice(one(rng, BENIGN_404).as_bytes());
            let size = rng.random_range(7_400..7_600);
            close(out, c, 404, size, current_referer(c));
        }
        Action::Error if now - c.last_404 > 15 * MIN => {
            c.last_404 = now;
            open(out, c, "-", stamp, "GET");
            if chance(rng, 0.7) {
                out.extend_from_slice(b"/api/v1/recommendations?product_id=");
                push_num(out, u64::from(rng.random_range(1000..9999u32)));
                close(out, c, 500, 61, current_referer(c));
            } else {
                out.extend_from_slice(b"/checkout");
                close(out, c, 502, 341, current_referer(c));
            }
        }
        Action::NotFound | Action::Login | Action::Error => {
            browser(rng, c, Action::Asset, pages, now, stamp, out)
        }
    }
}

fn api(rng: &mut ChaCha8Rng, c: &mut Client, stamp: &[u8], out: &mut Vec<u8>, partner: bool) {
    let referer = if partner {
        Referer::None
    } else {
        current_referer(c)
    };
    match rng.random_range(0..8) {
        0 | 1 => {
            open(out, c, "-", stamp, "GET");
            out.extend_from_slice(b"/api/v1/products?page=");
            push_num(out, rng.random_range(1..40));
            out.extend_from_slice(if partner { b"&limit=50" } else { b"&limit=20" });
            let size = rng.random_range(8_000..30_000);
            close(out, c, 200, size, referer);
        }
        2 => {
            open(out, c, "-", stamp, "GET");
            out.extend_from_slice(b"/api/v1/stock/");
            push_num(out, rng.random_range(1000..9999));
            let size = rng.random_range(40..90);
            close(out, c, 200, size, referer);
        }
        3 if partner => {
            open(out, c, "-", stamp, "POST");
            out.extend_from_slice(b"/api/v1/orders/sync?since=");
            push_num(out, rng.random_range(1_705_000_000..1_705_400_000u64));
            let size = rng.random_range(200..4_000);
            close(out, c, 200, size, referer);
        }
        3 | 4 => {
            open(out, c, "-", stamp, "GET");
            out.extend_from_slice(if chance(rng, 0.5) {
                b"/api/v1/cart"
            } else {
                b"/api/v1/user/profile"
            });
            let size = rng.random_range(300..2_500);
            close(out, c, 200, size, referer);
        }
        5 => {
            open(out, c, "-", stamp, "POST");
            out.extend_from_slice(b"/api/v1/events");
            close(out, c, 204, 0, referer);
        }
        6 => {
            open(out, c, "-", stamp, "POST");
            out.extend_from_slice(b"/api/v1/cart/items");
            let size = rng.random_range(300..900);
            close(out, c, 201, size, referer);
        }
        _ => {
            open(out, c, "-", stamp, "GET");
            out.extend_from_slice(b"/api/v2/search?q=");
            out.extend_from_slice(one(rng, SEARCHES).as_bytes());
            out.extend_from_slice(b"&limit=10");
            let size = rng.random_range(1_000..6_000);
            close(out, c, 200, size, referer);
        }
    }
}

fn crawler(
    rng: &mut ChaCha8Rng,
    c: &mut Client,
    pages: &Weighted,
    stamp: &[u8],
    out: &mut Vec<u8>,
) {
    open(out, c, "-", stamp, "GET");
    match rng.random_range(0..20) {
        0 => {
            out.extend_from_slice(b"/robots.txt");
            close(out, c, 200, 68, Referer::None);
        }
        1 => {
            out.extend_from_slice(b"/sitemap.xml");
            close(out, c, 200, 24_310, Referer::None);
        }
        2..=4 => {
            out.extend_from_slice(b"/images/products/");
            push_num(out, rng.random_range(1000..9999));
            out.extend_from_slice(b".jpg");
            let size = rng.random_range(20_000..240_000);
            close(out, c, 200, size, Referer::None);
        }
        _ => {
            let page = pages.sample(rng);
            let arg = page_arg(rng, page);
            write_page(out, page, arg);
            let (status, size) = if chance(rng, 0.1) {
                (304, 0)
            } else {
                (200, rng.random_range(6_000..80_000))
            };
            close(out, c, status, size, Referer::None);
        }
    }
}

fn monitor(rng: &mut ChaCha8Rng, c: &mut Client, stamp: &[u8], out: &mut Vec<u8>) {
    if chance(rng, 0.85) {
        open(out, c, "-", stamp, "GET");
        out.extend_from_slice(b"/health");
        close(out, c, 200, 15, Referer::None);
    } else {
        open(out, c, "-", stamp, "HEAD");
        out.push(b'/');
        close(out, c, 200, 0, Referer::None);
    }
}

const ADMIN_PAGES: &[&str] = &[
    "/admin/",
    "/admin/orders?page=",
    "/admin/orders/",
    "/admin/products/",
    "/admin/reports/daily.csv",
    "/admin/users?search=o%27brien",
    "/admin/users?search=select",
];

fn admin_page(
    rng: &mut ChaCha8Rng,
    c: &Client,
    user: &str,
    status: u16,
    stamp: &[u8],
    out: &mut Vec<u8>,
) {
    open(out, c, user, stamp, "GET");
    let p = if status == 200 {
        one(rng, ADMIN_PAGES)
    } else {
        "/admin/"
    };
    out.extend_from_slice(p.as_bytes());
    if p.ends_with('=') || p.ends_with("s/") {
        push_num(out, rng.random_range(1..5000));
    }
    let size = if status == 200 {
        rng.random_range(4_000..60_000)
    } else {
        381
    };
    close(out, c, status, size, Referer::Page(0, 0));
}

/// An admin in the basic-auth area: a challenge (401 without user) when a new
/// session starts, at most once per 30 minutes.
fn admin(rng: &mut ChaCha8Rng, c: &mut Client, now: i64, stamp: &[u8], out: &mut Vec<u8>) {
    if now > c.auth_until && now - c.last_fail > 30 * MIN {
        c.last_fail = now;
        c.auth_until = now + 30 * MIN;
        c.pending = Pending::AuthRetry {
            typo: chance(rng, 0.1),
        };
        return admin_page(rng, c, "-", 401, stamp, out);
    }
    admin_page(rng, c, c.user, 200, stamp, out);
}

fn admin_retry(
    rng: &mut ChaCha8Rng,
    c: &mut Client,
    typo: bool,
    now: i64,
    stamp: &[u8],
    out: &mut Vec<u8>,
) {
    c.pending = Pending::None;
    if typo {
        // A mistyped password: one more 401 (with the user name), then success.
        c.last_fail = now;
        c.pending = Pending::AuthRetry { typo: false };
        return admin_page(rng, c, c.user, 401, stamp, out);
    }
    admin_page(rng, c, c.user, 200, stamp, out);
}

fn login_post(rng: &mut ChaCha8Rng, c: &mut Client, now: i64, stamp: &[u8], out: &mut Vec<u8>) {
    open(out, c, "-", stamp, "POST");
    out.extend_from_slice(b"/login");
    if now - c.last_fail > 15 * MIN && chance(rng, 0.08) {
        // Wrong password: the form is shown again; the user tries once more.
        c.last_fail = now;
        let size = rng.random_range(7_800..8_200);
        close(out, c, 200, size, Referer::Page(0, 0));
        return;
    }
    c.pending = Pending::None;
    close(out, c, 302, 0, Referer::Page(0, 0));
    c.page = 14;
}

mod attacks;
