// The seed's express-session app (seed/express-session-snippet.txt), the
// peer of bench/load.sh: the same middleware, options and routes, with the
// store left at express-session's default MemoryStore and without the
// per-request console.log (it would measure the terminal, not the session).
// Port from PORT; SESSION_SECRET from the environment (load.sh makes one).
'use strict';

const express = require('express');
const session = require('express-session');
const cookieParser = require('cookie-parser');

const app = express();
app.use(cookieParser());

app.use(session({
  secret: process.env.SESSION_SECRET || 'your_super_secret_key_here',
  name: 'my.session.id',
  resave: false,
  saveUninitialized: false,
  cookie: {
    httpOnly: true,
    secure: process.env.NODE_ENV === 'production',
    maxAge: 24 * 60 * 60 * 1000,
    sameSite: 'Lax',
  },
}));

// The visit counter, as in the seed (minus its console.log).
app.use((req, res, next) => {
  if (req.session.views) {
    req.session.views++;
  } else {
    req.session.views = 1;
  }
  next();
});

app.get('/', (req, res) => {
  res.send(`You have visited this page ${req.session.views} times. Session ID: ${req.sessionID}`);
});

app.get('/logout', (req, res) => {
  req.session.destroy(err => {
    if (err) {
      return res.status(500).send('Could not log out, please try again.');
    }
    res.clearCookie('my.session.id');
    res.send('Logged out successfully!');
  });
});

const PORT = Number(process.env.PORT) || 3000;
const HOST = process.env.HOST || '127.0.0.1';
app.listen(PORT, HOST, () => {
  console.log(`Server running on http://${HOST}:${PORT}`);
});
