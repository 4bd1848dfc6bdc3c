<?php
/**
 * Lien de connexion signé vers l'assistant AMPER (exemple, PHP 7.0 ou plus, sans bibliothèque).
 *
 * amper_connexion_url('1001', 'https://assistant.amper.fr')
 *   → 'https://assistant.amper.fr/connexion?jeton=<jeton>'
 *
 * Le jeton est un JWT HS256 : en-tête {"alg":"HS256","typ":"JWT"} ; sub (numéro de client,
 * en chaîne), iat, exp (iat + 120 s ; l'assistant refuse au-delà de 300 s), jti (aléatoire :
 * le lien ne sert qu'une fois), aud "amper-connexion". Voir docs/web-login.md.
 *
 * Le secret (32 octets au moins) reste sur le serveur : constante AMPER_WEB_LINK_SECRET
 * (par exemple dans wp-config.php) ou variable d'environnement du même nom.
 *
 * WordPress : d'où vient le numéro de client est l'affaire du site (par exemple une
 * métadonnée de l'utilisateur, get_user_meta($user_id, 'amper_client_number', true)).
 * Fabriquez le lien au moment du clic (une redirection), jamais dans une page mise en cache.
 *
 * En ligne de commande, pour essayer :
 *   AMPER_WEB_LINK_SECRET=... php amper-connexion-link.php 1001 https://assistant.amper.fr
 */

function amper_base64url($data)
{
    return rtrim(strtr(base64_encode($data), '+/', '-_'), '=');
}

function amper_connexion_secret()
{
    if (defined('AMPER_WEB_LINK_SECRET')) {
        return (string) constant('AMPER_WEB_LINK_SECRET');
    }
    $value = getenv('AMPER_WEB_LINK_SECRET');
    return $value === false ? '' : $value;
}

function amper_connexion_url($client_number, $base_url)
{
    $client_number = trim((string) $client_number);
    if (!preg_match('/^[0-9]{1,40}$/D', $client_number)) {
        throw new InvalidArgumentException('Le numéro de client doit être fait de chiffres.');
    }
    if (!preg_match('#^(https://|http://(localhost|127\.0\.0\.1)(:[0-9]+)?(/|$))#D', $base_url)) {
        throw new InvalidArgumentException("L'adresse de l'assistant doit commencer par https://.");
    }
    $secret = amper_connexion_secret();
    if (strlen($secret) < 32) {
        throw new RuntimeException('AMPER_WEB_LINK_SECRET doit faire au moins 32 octets.');
    }
    $now = time();
    $header = array('alg' => 'HS256', 'typ' => 'JWT');
    $claims = array(
        'sub' => $client_number,  // une chaîne : "1001", pas 1001
        'iat' => $now,
        'exp' => $now + 120,
        'jti' => amper_base64url(random_bytes(24)),
        'aud' => 'amper-connexion',
    );
    $signing_input = amper_base64url(json_encode($header)) . '.'
        . amper_base64url(json_encode($claims));
    $signature = hash_hmac('sha256', $signing_input, $secret, true);
    return rtrim($base_url, '/') . '/connexion?jeton=' . $signing_input . '.'
        . amper_base64url($signature);
}

// Appelé directement (php amper-connexion-link.php NUMERO URL) : affiche le lien.
// Inclus par le site (require_once), ce bloc ne fait rien.
if (PHP_SAPI === 'cli' && isset($argv[0]) && realpath($argv[0]) === __FILE__) {
    if (count($argv) !== 3) {
        fwrite(STDERR, "Usage : AMPER_WEB_LINK_SECRET=... php amper-connexion-link.php NUMERO_CLIENT URL_DE_BASE\n");
        exit(2);
    }
    try {
        echo amper_connexion_url($argv[1], $argv[2]), PHP_EOL;
    } catch (Exception $problem) {
        fwrite(STDERR, 'Erreur : ' . $problem->getMessage() . PHP_EOL);
        exit(1);
    }
}
