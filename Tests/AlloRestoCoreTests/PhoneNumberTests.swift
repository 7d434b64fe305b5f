import AlloRestoCore
import Testing

@Suite struct PhoneNumberTests {
    @Test(arguments: [
        "0612345678", "06 12 34 56 78", "06.12.34.56.78", "06-12-34-56-78", "+33612345678", "+33 6 12 34 56 78",
        "0033612345678", "0033 6 12 34 56 78", "33612345678", "+33 (0)6 12 34 56 78", "330612345678",
        "sip:+33612345678@trunk.example.com;user=phone", "tel:+33612345678", "sip:0612345678@10.0.0.1", " 06 12 34 56 78 ",
    ])
    func frenchMobileFormsAreOneNumber(_ raw: String) {
        #expect(PhoneNumber.normalize(raw, defaultCountry: "FR") == "+33612345678")
    }

    @Test func otherCountriesKeepTheirCode() {
        #expect(PhoneNumber.normalize("+32 470 12 34 56", defaultCountry: "FR") == "+32470123456")
        #expect(PhoneNumber.normalize("0032470123456", defaultCountry: "FR") == "+32470123456")
        #expect(PhoneNumber.normalize("0470 12 34 56", defaultCountry: "BE") == "+32470123456")
        #expect(PhoneNumber.normalize("(212) 555-0123", defaultCountry: "US") == "+12125550123")
        #expect(PhoneNumber.normalize("1 212 555 0123", defaultCountry: "US") == "+12125550123")
        #expect(PhoneNumber.normalize("+1 212 555 0123", defaultCountry: "FR") == "+12125550123")
        #expect(PhoneNumber.normalize("022 123 45 67", defaultCountry: "CH") == "+41221234567")
    }

    @Test func landlineAndCountryDetection() {
        #expect(PhoneNumber.normalize("01 42 60 12 34") == "+33142601234")
        #expect(PhoneNumber.country(ofE164: "+33142601234") == "FR")
        #expect(PhoneNumber.country(ofE164: "+352621123456") == "LU")
        #expect(PhoneNumber.country(ofE164: "+12125550123") == "US")
    }

    @Test(arguments: ["", "   ", "anonymous", "abc123", "12", "+0612345678", "sip:restaurant@example.com"])
    func garbageIsNotANumber(_ raw: String) {
        #expect(PhoneNumber.normalize(raw) == nil)
    }
}

@Suite struct MoneyTests {
    @Test func convertsAndSays() {
        #expect(Money.minor(fromDecimal: 9.5) == 950)
        #expect(Money.minor(fromDecimal: 0.1 + 0.2) == 30)
        #expect(Money.minor(fromDecimal: 19.999) == 2000)
        #expect(Money.minor(fromDecimal: 1500, currency: "JPY") == 1500)
        #expect(Money.written(950) == "9,50 €")
        #expect(Money.written(1200) == "12 €")
        #expect(Money.written(305) == "3,05 €")
        #expect(Money.spoken(950) == "9 euros 50")
        #expect(Money.spoken(100) == "1 euro")
        #expect(Money.decimal(1950) == 19.5)
    }
}

@Suite struct FaqKeyTests {
    @Test func sameMeaningSameKey() {
        let a = FaqKey.normalize("Avez-vous un parking ?")
        #expect(FaqKey.normalize("avez vous un PARKING") == a)
        #expect(FaqKey.normalize("Un parking, vous avez ?") == a)
        #expect(FaqKey.normalize("Est-ce que vous livrez à Montreuil ?") == FaqKey.normalize("vous livrez a montreuil"))
        #expect(FaqKey.normalize("Avez-vous un parking ?") != FaqKey.normalize("Avez-vous une terrasse ?"))
    }
}
